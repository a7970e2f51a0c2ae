//! HTTP glue shared by every HTTP function: who is calling, reading JSON bodies and
//! query strings, matching routes, and turning results and errors into responses.
//!
//! Handlers receive a `lambda_http::Request` whether they run in Lambda behind API Gateway
//! or in the local stack, which builds the same request context.

pub mod accounts_api;
pub mod api;
pub mod body;
pub mod events_api;
pub mod gallery_api;
pub mod identity;
pub mod presign_api;
pub mod query;
pub mod response;
pub mod router;

pub use api::{HttpApi, handle, handle_lambda};
pub use body::json_body;
pub use identity::{bearer_in, bearer_token, caller, client_address};
pub use query::{page_request, query_param};
pub use response::{error_response, json_response, no_content};
pub use router::{PathParams, Route, Router};
