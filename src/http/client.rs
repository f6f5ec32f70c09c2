//! Who the client is: the peer address, or, when the peer is a trusted
//! reverse proxy (`MUSUBI_TRUSTED_PROXIES`), the address it reports in
//! `X-Forwarded-For` or `Forwarded`. Nobody else's headers are believed, so
//! a client cannot pick the address its rate limits and lockout count.

use std::net::IpAddr;

use actix_web::{HttpRequest, web};

use super::AppState;
use crate::domain::network::{Network, canonical};

/// The client's address: the peer's, unless the peer is a trusted proxy;
/// then the right-most address in its forwarding headers that is not a
/// trusted proxy itself.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let trusted = req
        .app_data::<web::Data<AppState>>()
        .map_or(&[][..], |s| &s.settings.trusted_proxies[..]);
    client_ip_behind(req, trusted)
}

/// [`client_ip`] with the trusted proxies given.
pub fn client_ip_behind(req: &HttpRequest, trusted: &[Network]) -> Option<IpAddr> {
    let peer = canonical(req.peer_addr()?.ip());
    let is_trusted = |ip: IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut chain: Vec<IpAddr> = Vec::new();
    for value in req.headers().get_all("forwarded") {
        for element in value.to_str().unwrap_or_default().split(',') {
            for pair in element.split(';') {
                if let Some((k, v)) = pair.trim().split_once('=')
                    && k.trim().eq_ignore_ascii_case("for")
                {
                    let v = v.trim().trim_matches('"');
                    let host = v
                        .strip_prefix('[')
                        .and_then(|r| r.split(']').next())
                        .unwrap_or_else(|| v.split(':').next().unwrap_or(v));
                    if let Ok(ip) = host.parse() {
                        chain.push(canonical(ip));
                    }
                }
            }
        }
    }
    if chain.is_empty() {
        for value in req.headers().get_all("x-forwarded-for") {
            for part in value.to_str().unwrap_or_default().split(',') {
                if let Ok(ip) = part.trim().parse() {
                    chain.push(canonical(ip));
                }
            }
        }
    }
    Some(
        chain
            .into_iter()
            .rev()
            .find(|ip| !is_trusted(*ip))
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn req(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
        let mut r = TestRequest::get().peer_addr(format!("{peer}:40000").parse().unwrap());
        for h in headers {
            r = r.insert_header(*h);
        }
        r.to_http_request()
    }

    #[test]
    fn only_trusted_proxies_are_believed() {
        let trusted = [
            Network::parse("10.0.0.0/8").unwrap(),
            Network::parse("127.0.0.1").unwrap(),
        ];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        // A client that is no proxy cannot choose its address.
        assert_eq!(
            client_ip_behind(
                &req("203.0.113.9", &[("X-Forwarded-For", "198.51.100.1")]),
                &trusted
            ),
            Some(ip("203.0.113.9"))
        );
        // Behind the proxy: the right-most untrusted hop, not what the
        // client wrote at the left.
        assert_eq!(
            client_ip_behind(
                &req(
                    "127.0.0.1",
                    &[("X-Forwarded-For", "6.6.6.6, 198.51.100.7, 10.1.2.3")]
                ),
                &trusted
            ),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            client_ip_behind(
                &req(
                    "10.0.0.5",
                    &[(
                        "Forwarded",
                        "for=198.51.100.8;proto=https, for=\"[2001:db8::1]:443\""
                    )]
                ),
                &trusted
            ),
            Some(ip("2001:db8::1"))
        );
        // A trusted proxy that forwards nothing is the client itself.
        assert_eq!(
            client_ip_behind(&req("127.0.0.1", &[]), &trusted),
            Some(ip("127.0.0.1"))
        );
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("proxy.example").is_err());
        assert!(
            Network::parse("::ffff:10.0.0.1")
                .unwrap()
                .contains(ip("10.0.0.1"))
        );
    }
}
