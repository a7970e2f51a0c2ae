//! A small router: method + path segments, with `{name}` captures.
//!
//! The route table is data, so tests can enumerate it (every route must be in openapi.yaml).

use lambda_http::http::Method;
use lambda_http::{Request, RequestExt};

use super::api::route_not_found;
use crate::domain::{EventId, JobId, PhotoId};
use crate::error::{Error, Result};

/// One route: a method, a pattern such as `/api/events/{event_id}`, and what it dispatches to.
#[derive(Debug, Clone)]
pub struct Route<R> {
    /// HTTP method.
    pub method: Method,
    /// Path pattern; `{name}` matches one non-empty segment.
    pub pattern: &'static str,
    /// The handler's identifier.
    pub id: R,
}

impl<R> Route<R> {
    /// A route.
    pub fn new(method: Method, pattern: &'static str, id: R) -> Self {
        Self {
            method,
            pattern,
            id,
        }
    }
}

/// The captured `{name}` segments of a matched path, percent-decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams(Vec<(&'static str, String)>);

impl PathParams {
    /// The segment captured as `{name}`; a 404 if the route has none (a route-table bug
    /// must not become a 500 for the client).
    pub fn get(&self, name: &str) -> Result<&str> {
        self.0
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .ok_or_else(route_not_found)
    }

    /// `{event_id}` as an id (400 if it is not one).
    pub fn event_id(&self) -> Result<EventId> {
        EventId::parse(self.get("event_id")?)
    }

    /// `{photo_id}` as an id (400 if it is not one).
    pub fn photo_id(&self) -> Result<PhotoId> {
        PhotoId::parse(self.get("photo_id")?)
    }

    /// `{job_id}` as an id (400 if it is not one).
    pub fn job_id(&self) -> Result<JobId> {
        JobId::parse(self.get("job_id")?)
    }

    /// `name=value` of the captured `*_id` segments, for logs. Other segments (access
    /// codes, usernames, slugs) are left out: a code in a path is a secret.
    pub fn ids_for_logs(&self) -> String {
        self.0
            .iter()
            .filter(|(name, _)| name.ends_with("_id"))
            .map(|(name, value)| format!("{name}={}", value.chars().take(40).collect::<String>()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A route table.
#[derive(Debug, Clone)]
pub struct Router<R> {
    routes: Vec<Route<R>>,
}

impl<R: Copy> Router<R> {
    /// A router over `routes` (first match wins).
    pub fn new(routes: Vec<Route<R>>) -> Self {
        Self { routes }
    }

    /// Every route, for documentation checks.
    pub fn routes(&self) -> &[Route<R>] {
        &self.routes
    }

    /// The route of a request. The path is API Gateway's raw path (without the stage), or
    /// the URI's path when the request was built elsewhere.
    pub fn resolve_route(&self, req: &Request) -> Result<(&Route<R>, PathParams)> {
        let raw = req.raw_http_path();
        let path = if raw.is_empty() {
            req.uri().path()
        } else {
            raw
        };
        self.resolve_path(req.method(), path)
    }

    /// The route id of `method` + `path`. Unknown paths and methods are 404.
    pub fn resolve(&self, method: &Method, path: &str) -> Result<(R, PathParams)> {
        self.resolve_path(method, path)
            .map(|(route, params)| (route.id, params))
    }

    /// The route of `method` + `path`. Unknown paths and methods are 404.
    pub fn resolve_path(&self, method: &Method, path: &str) -> Result<(&Route<R>, PathParams)> {
        let path = path
            .strip_suffix('/')
            .filter(|p| !p.is_empty())
            .unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        for route in self.routes.iter().filter(|r| r.method == *method) {
            if let Some(params) = match_pattern(route.pattern, &segments)? {
                return Ok((route, params));
            }
        }
        Err(route_not_found())
    }
}

fn match_pattern(pattern: &'static str, segments: &[&str]) -> Result<Option<PathParams>> {
    let parts: Vec<&'static str> = pattern.split('/').collect();
    if parts.len() != segments.len() {
        return Ok(None);
    }
    let mut params = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            Some(name) => {
                if segment.is_empty() {
                    return Ok(None);
                }
                let decoded = percent_encoding::percent_decode_str(segment)
                    .decode_utf8()
                    .map_err(|_| Error::malformed("invalid_path", "the path is not valid UTF-8"))?;
                params.push((name, decoded.into_owned()));
            }
            None if part == segment => {}
            None => return Ok(None),
        }
    }
    Ok(Some(PathParams(params)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Id {
        List,
        One,
        Parts,
    }

    fn router() -> Router<Id> {
        Router::new(vec![
            Route::new(Method::GET, "/api/events", Id::List),
            Route::new(Method::GET, "/api/events/{event_id}", Id::One),
            Route::new(
                Method::POST,
                "/api/events/{event_id}/uploads/{photo_id}/parts",
                Id::Parts,
            ),
        ])
    }

    #[test]
    fn captures_segments_and_ignores_one_trailing_slash() {
        let r = router();
        assert_eq!(
            r.resolve(&Method::GET, "/api/events").expect("list").0,
            Id::List
        );
        assert_eq!(
            r.resolve(&Method::GET, "/api/events/").expect("list").0,
            Id::List
        );
        let (id, params) = r.resolve(&Method::GET, "/api/events/abc%20d").expect("one");
        assert_eq!(id, Id::One);
        assert_eq!(params.get("event_id").expect("captured"), "abc d");
        let (_, params) = r
            .resolve(&Method::POST, "/api/events/E/uploads/P/parts")
            .expect("parts");
        assert_eq!(params.get("photo_id").expect("captured"), "P");
    }

    #[test]
    fn unknown_paths_and_methods_are_404_and_bad_bytes_400() {
        let r = router();
        for (m, p) in [
            (Method::DELETE, "/api/events"),
            (Method::GET, "/api/events//"),
            (Method::GET, "/api/other"),
            (Method::GET, "/api/events/a/b"),
            (Method::GET, ""),
        ] {
            assert_eq!(r.resolve(&m, p).expect_err(p).http_status(), 404, "{m} {p}");
        }
        assert_eq!(
            r.resolve(&Method::GET, "/api/events/%ff")
                .expect_err("bad utf-8")
                .http_status(),
            400
        );
    }
}
