//! One HTTP exchange: a GET with the headers `fetch` chose, through the
//! proxy the environment names, following redirects one hop at a time.
//!
//! Redirects are followed here rather than by ureq so that each hop is
//! logged, gets the proxy its own scheme calls for, and carries the same
//! conditional and range headers (the final server is the one that
//! answers them).

use std::sync::Arc;
use std::time::Duration;

use ureq::http::{Response, StatusCode};
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Body};

use super::{Event, FetchOptions, Observer};
use crate::error::{Error, ErrorKind, Result};

/// How an exchange failed: `retry` when another attempt may succeed (a
/// dropped or refused connection, a timeout, a 5xx).
pub struct Failure {
    pub error: Error,
    pub retry: bool,
}

impl Failure {
    pub fn fatal(error: Error) -> Failure {
        Failure {
            error,
            retry: false,
        }
    }
}

/// The TLS roots, loaded once per run: the platform's, or those
/// `--tls-ca` names instead.
pub fn roots(options: &FetchOptions) -> Result<RootCerts> {
    if options.tls_ca.is_empty() {
        return Ok(RootCerts::PlatformVerifier);
    }
    let mut certs: Vec<Certificate<'static>> = Vec::new();
    for path in &options.tls_ca {
        let bad = |m: String| Error::new(ErrorKind::Usage, m).with_file(path);
        let text = std::fs::read(path)
            .map_err(|e| bad(format!("cannot read the TLS roots: {e}")).with_source(e))?;
        for item in ureq::tls::parse_pem(&text) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                Ok(_) => {}
                Err(e) => return Err(bad(format!("not a PEM certificate file: {e}"))),
            }
        }
        if certs.is_empty() {
            return Err(bad("no PEM certificate in the file".into()));
        }
    }
    Ok(RootCerts::Specific(Arc::new(certs)))
}

fn agent(options: &FetchOptions, roots: &RootCerts, proxy: Option<ureq::Proxy>) -> Agent {
    let tls = TlsConfig::builder().root_certs(roots.clone()).build();
    Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(proxy)
        .tls_config(tls)
        .user_agent(concat!("wsuscat/", env!("CARGO_PKG_VERSION")))
        .timeout_connect(Some(options.connect_timeout))
        // A stall: no byte for this long, in the headers or the body. The
        // whole download has no deadline: 100+ MB over a slow link takes
        // as long as it takes while bytes keep coming.
        .timeout_per_read(Some(options.read_timeout))
        .timeout_recv_response(Some(options.read_timeout.max(Duration::from_secs(1))))
        .build()
        .into()
}

/// GETs `url` with `headers`, following up to `options.max_redirects`
/// redirects. Returns the final response and the URL that gave it.
pub fn get(
    options: &FetchOptions,
    roots: &RootCerts,
    url: &str,
    headers: &[(&str, String)],
    observer: &dyn Observer,
) -> std::result::Result<(Response<Body>, String), Failure> {
    let mut current = url.to_string();
    let mut hops = 0;
    loop {
        let uri: ureq::http::Uri = current.parse().map_err(|e| {
            Failure::fatal(network(
                &options.file,
                format!("{current} is not a URL: {e}"),
            ))
        })?;
        let scheme = uri.scheme_str().unwrap_or("");
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(Failure::fatal(network(
                &options.file,
                format!("{current}: only http:// and https:// URLs can be fetched"),
            )));
        }
        let host = uri.host().unwrap_or("");
        let proxy = super::proxy::for_target(scheme, host, &options.env)
            .map_err(|m| Failure::fatal(Error::new(ErrorKind::Usage, m)))?;
        observer.event(&Event::Request {
            url: current.clone(),
            proxy: proxy.as_ref().map(|p| p.1.clone()),
            headers: headers.iter().map(|(k, v)| format!("{k}: {v}")).collect(),
        });
        let agent = agent(options, roots, proxy.map(|p| p.0));
        let mut request = agent.get(&current);
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        let response = request
            .call()
            .map_err(|e| transport(&options.file, &current, e))?;
        let status = response.status();
        if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
            return Ok((response, current));
        }
        let Some(location) = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
        else {
            return Err(Failure::fatal(network(
                &options.file,
                format!("{current}: HTTP {status} without a Location"),
            )));
        };
        let next = resolve(&current, location);
        hops += 1;
        if hops > options.max_redirects {
            return Err(Failure::fatal(network(
                &options.file,
                format!(
                    "{url}: more than {} redirects (the last to {next})",
                    options.max_redirects
                ),
            )));
        }
        observer.event(&Event::Redirect {
            status: status.as_u16(),
            to: next.clone(),
        });
        current = next;
    }
}

/// A network error about FILE.
pub fn network(file: &std::path::Path, message: String) -> Error {
    Error::new(ErrorKind::Network, message).with_file(file)
}

/// A failed exchange: what failed, and whether to try again. A TLS
/// failure (an untrusted certificate) or a bad URL will fail the same way
/// every time; anything on the wire may not.
pub fn transport(file: &std::path::Path, url: &str, e: ureq::Error) -> Failure {
    let retry = match &e {
        ureq::Error::BadUri(_)
        | ureq::Error::Tls(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::InvalidProxyUrl
        | ureq::Error::Http(_)
        | ureq::Error::Pem(_) => false,
        // rustls reports a certificate it does not trust through the
        // stream, as InvalidData: the same next time.
        ureq::Error::Io(io) => io.kind() != std::io::ErrorKind::InvalidData,
        _ => true,
    };
    let what = match &e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the connection closed before the response was complete".to_string()
        }
        ureq::Error::Io(io) => io.to_string(),
        other => other.to_string(),
    };
    Failure {
        error: network(file, format!("{url}: {what}")).with_source(e),
        retry,
    }
}

/// `location` resolved against `base` (RFC 3986 §5.2, the forms servers
/// send: absolute, scheme-relative, absolute-path, relative-path).
pub fn resolve(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    if let Some(l) = location.strip_prefix("//") {
        return format!("{scheme}://{l}");
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..authority_end]);
    if location.starts_with('/') {
        return format!("{origin}{location}");
    }
    let path = &rest[authority_end..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    let dir = match path.rfind('/') {
        Some(i) => &path[..=i],
        None => "/",
    };
    format!("{origin}{dir}{location}")
}

#[cfg(test)]
mod tests {
    use super::resolve;

    #[test]
    fn locations() {
        let base = "http://go.example/fwlink/?LinkId=1";
        assert_eq!(
            resolve(base, "https://cdn.example/x.cab"),
            "https://cdn.example/x.cab"
        );
        assert_eq!(resolve(base, "//cdn.example/x"), "http://cdn.example/x");
        assert_eq!(resolve(base, "/a/b"), "http://go.example/a/b");
        assert_eq!(resolve(base, "x.cab"), "http://go.example/fwlink/x.cab");
        assert_eq!(resolve("http://h:8/a?b/c", "d"), "http://h:8/d");
    }
}
