//! Who is making a request: domain data the services check ownership against. Reading it
//! from a request is the HTTP layer's job (its `identity` module).

use super::ids::UserId;

/// The authenticated photographer making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The identity provider's subject (JWT `sub`): the stable id every owned resource is
    /// keyed by.
    pub user_id: UserId,
    /// The e-mail address the token carries, if any.
    pub email: Option<String>,
    /// The username the token carries (`cognito:username`, or `username` from the local
    /// stack's tokens), if any.
    pub username: Option<String>,
}
