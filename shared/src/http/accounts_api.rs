//! The local stack's account routes (`POST /api/auth/signup`, `POST /api/auth/login`).
//! Public: they run before there is a token. In AWS, Cognito's hosted flows take their
//! place and these routes are not deployed.

use std::sync::{Arc, OnceLock};

use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use super::{HttpApi, PathParams, Route, Router, client_address, json_body, json_response};
use crate::error::Result;
use crate::local_auth::JwtKeys;
use crate::ports::Catalog;
use crate::services::accounts;

/// What the account routes need.
#[derive(Debug, Clone)]
pub struct AccountsDeps {
    /// Where users are.
    pub catalog: Arc<dyn Catalog>,
    /// Signs the tokens `login` issues.
    pub jwt: JwtKeys,
    /// Largest JSON body accepted.
    pub max_body_bytes: usize,
}

/// The routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountsRoute {
    /// `POST /api/auth/signup`
    SignUp,
    /// `POST /api/auth/login`
    LogIn,
}

/// The route table.
pub fn router() -> &'static Router<AccountsRoute> {
    static ROUTER: OnceLock<Router<AccountsRoute>> = OnceLock::new();
    ROUTER.get_or_init(|| {
        Router::new(vec![
            Route::new(Method::POST, "/api/auth/signup", AccountsRoute::SignUp),
            Route::new(Method::POST, "/api/auth/login", AccountsRoute::LogIn),
        ])
    })
}

/// The account routes, for [`super::handle`].
#[derive(Debug, Clone, Copy)]
pub struct AccountsApi;

impl HttpApi for AccountsApi {
    type Deps = AccountsDeps;
    type Route = AccountsRoute;

    fn router() -> &'static Router<AccountsRoute> {
        router()
    }

    async fn dispatch(
        deps: &AccountsDeps,
        route: AccountsRoute,
        _params: PathParams,
        req: &Request,
    ) -> Result<Response<Body>> {
        Ok(match route {
            AccountsRoute::SignUp => {
                let body = json_body(req, deps.max_body_bytes)?;
                json_response(201, &accounts::sign_up(deps.catalog.as_ref(), body).await?)
            }
            AccountsRoute::LogIn => {
                let addr = client_address(req, false)?;
                let body = json_body(req, deps.max_body_bytes)?;
                json_response(
                    200,
                    &accounts::log_in(deps.catalog.as_ref(), &deps.jwt, addr, body).await?,
                )
            }
        })
    }
}
