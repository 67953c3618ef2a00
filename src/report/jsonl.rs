//! JSON Lines: one compact JSON object per line, each with a `type` field
//! first, so that a reader (PowerShell's `Get-Content | ConvertFrom-Json`,
//! `jq -c`) can act on each event as it comes and dispatch on its type.
//! Every command's jsonl goes through [`event`].

use serde::Serialize;

#[derive(Serialize)]
struct Event<'a, T: ?Sized> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

/// One event line, `{"type":KIND,…body's fields}` and a newline. `body`
/// must serialize as a map (a struct), whose fields follow `type`.
pub fn event<T: Serialize + ?Sized>(kind: &str, body: &T) -> String {
    let mut line = serde_json::to_string(&Event { kind, body }).expect("events serialize");
    line.push('\n');
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_comes_first_and_the_line_is_one_line() {
        #[derive(Serialize)]
        struct B {
            text: &'static str,
            n: u32,
        }
        let line = event("finding", &B { text: "a\nb", n: 3 });
        assert_eq!(line, "{\"type\":\"finding\",\"text\":\"a\\nb\",\"n\":3}\n");
    }
}
