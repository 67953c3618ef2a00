//! Which proxy a request goes through, read from the environment as curl
//! and most Unix tools read it: `https_proxy`/`HTTPS_PROXY` for an https
//! URL, `http_proxy`/`HTTP_PROXY` for an http one, `all_proxy`/`ALL_PROXY`
//! for either, and `no_proxy`/`NO_PROXY` for the hosts that go direct.
//! When none of the proxy variables is set, ureq's own lookup decides: on
//! Windows it reads the system proxy (Internet Options), elsewhere nothing.
//!
//! Chosen per request rather than once per run, because a redirect may
//! change the scheme (Microsoft's http link may lead to an https server).

use ureq::Proxy;

/// Where a request to `scheme://host` goes: `Ok(Some(proxy))`, `Ok(None)`
/// for direct, or the variable and value that do not parse.
pub fn for_target(
    scheme: &str,
    host: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<(Proxy, String)>, String> {
    let names: &[&str] = if scheme.eq_ignore_ascii_case("https") {
        &["https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"]
    } else {
        &["http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"]
    };
    let set = |n: &str| env(n).filter(|v| !v.trim().is_empty());
    let Some((name, value)) = names.iter().find_map(|n| set(n).map(|v| (*n, v))) else {
        if any_proxy_variable(&set) {
            // A proxy is set for the other scheme only: this one goes direct.
            return Ok(None);
        }
        return Ok(Proxy::try_from_env().map(|p| {
            let shown = format!("{}:{} (system setting)", p.host(), p.port());
            (p, shown)
        }));
    };
    if let Some(list) = set("no_proxy").or_else(|| set("NO_PROXY")) {
        if bypassed(host, &list) {
            return Ok(None);
        }
    }
    Proxy::new(value.trim())
        .map(|p| {
            let shown = format!("{}:{} ({name})", p.host(), p.port());
            Some((p, shown))
        })
        .map_err(|e| format!("{name}={value:?} is not a proxy URL: {e}"))
}

fn any_proxy_variable(set: &dyn Fn(&str) -> Option<String>) -> bool {
    [
        "https_proxy",
        "HTTPS_PROXY",
        "http_proxy",
        "HTTP_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ]
    .iter()
    .any(|n| set(n).is_some())
}

/// Whether `host` is on a NO_PROXY list: `*` (everything), a host name
/// (itself and its subdomains, as curl reads `example.com`), a `.suffix`
/// or `*.suffix` (subdomains and the domain), or an IP address (itself).
/// Ports in entries are ignored; CIDR ranges are not supported.
pub fn bypassed(host: &str, list: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    list.split(',').map(str::trim).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.to_ascii_lowercase();
        let entry = strip_port(&entry);
        let bare = entry.trim_start_matches("*.").trim_start_matches('.');
        !bare.is_empty() && (host == bare || host.ends_with(&format!(".{bare}")))
    })
}

fn strip_port(entry: &str) -> &str {
    if let Some(rest) = entry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match entry.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()) => h,
        _ => entry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_lists() {
        assert!(bypassed("localhost", "localhost,127.0.0.1"));
        assert!(bypassed("127.0.0.1", "localhost, 127.0.0.1"));
        assert!(bypassed("a.example.com", "example.com"));
        assert!(bypassed("a.example.com", ".example.com"));
        assert!(bypassed("example.com", "*.example.com"));
        assert!(bypassed("anything", "*"));
        assert!(bypassed("host", "host:8080"));
        assert!(bypassed("::1", "[::1]"));
        assert!(!bypassed("badexample.com", "example.com"));
        assert!(!bypassed("example.com", ""));
        assert!(!bypassed("example.com", ".,*."));
    }

    #[test]
    fn per_scheme_variables() {
        let env = |n: &str| match n {
            "HTTP_PROXY" => Some("http://127.0.0.1:3128".to_string()),
            "NO_PROXY" => Some("internal.example".to_string()),
            _ => None,
        };
        let (p, shown) = for_target("http", "example.com", &env).unwrap().unwrap();
        assert_eq!((p.host(), p.port()), ("127.0.0.1", 3128));
        assert!(shown.contains("HTTP_PROXY"), "{shown}");
        // Only an http proxy is set: https goes direct.
        assert!(for_target("https", "example.com", &env).unwrap().is_none());
        assert!(for_target("http", "a.internal.example", &env)
            .unwrap()
            .is_none());
        let bad = |n: &str| (n == "https_proxy").then(|| "http://[::1".to_string());
        assert!(for_target("https", "example.com", &bad).is_err());
    }
}
