//! The address a viewer's unlock attempts are counted by.

use std::net::IpAddr;

/// The throttling key of a client address: an IPv4 address as is; an IPv6 address by its
/// /64, the block one subscriber gets (counting each /128 would let one client rotate
/// through 2^64 addresses); an IPv4-mapped IPv6 address as the IPv4 address it carries.
pub fn throttle_key(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// The client address in a `CloudFront-Viewer-Address` header value (`IP:port`, where an
/// IPv6 address keeps its colons and the port follows the last one).
pub fn from_cloudfront_viewer_address(value: &str) -> Option<IpAddr> {
    let (ip, port) = value.trim().rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    ip.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64_and_ipv4_as_is() {
        let a: IpAddr = "2001:db8:aa:bb:1::1".parse().expect("v6");
        let b: IpAddr = "2001:db8:aa:bb:ffff:ffff:ffff:fffe".parse().expect("v6");
        let c: IpAddr = "2001:db8:aa:bc::1".parse().expect("v6");
        assert_eq!(throttle_key(a), throttle_key(b));
        assert_ne!(throttle_key(a), throttle_key(c));
        assert_eq!(
            throttle_key("203.0.113.7".parse().expect("v4")),
            "203.0.113.7"
        );
        assert_eq!(
            throttle_key("::ffff:203.0.113.7".parse().expect("mapped")),
            "203.0.113.7"
        );
    }

    #[test]
    fn cloudfront_viewer_addresses_parse_for_both_families() {
        assert_eq!(
            from_cloudfront_viewer_address("203.0.113.7:46532"),
            Some("203.0.113.7".parse().expect("v4"))
        );
        assert_eq!(
            from_cloudfront_viewer_address("2001:db8::1:46532"),
            Some("2001:db8::1".parse().expect("v6"))
        );
        for bad in ["", "203.0.113.7", "nonsense:80", "203.0.113.7:port"] {
            assert_eq!(from_cloudfront_viewer_address(bad), None, "{bad}");
        }
    }
}
