//! Query strings: `?limit=&cursor=` paging and the few filters routes take.

use lambda_http::Request;

use crate::domain::PageRequest;
use crate::error::Result;

/// The first value of query parameter `name`, percent-decoded.
///
/// Read from the URI rather than lambda_http's pre-parsed map so requests built by the local
/// stack and by API Gateway behave the same.
pub fn query_param(req: &Request, name: &str) -> Option<String> {
    let query = req.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The page a list route was asked for (default 50, at most 200; 422 outside that).
pub fn page_request(req: &Request) -> Result<PageRequest> {
    let limit = query_param(req, "limit");
    let cursor = query_param(req, "cursor");
    PageRequest::from_query(limit.as_deref(), cursor.as_deref())
}
