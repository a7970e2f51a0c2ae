//! Users: lookups by id, username and e-mail, uniqueness, and renames.

use shared::domain::USERNAME_HOLD_SECS;
use shared::ports::Catalog;

use super::builders::*;
use super::checks::*;

/// A user can be read back by id, username and e-mail.
pub async fn users_round_trip_by_id_username_and_email(catalog: &dyn Catalog) {
    let mut user = new_user();
    user.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned());
    catalog.insert_user(&user).await.expect("insert user");
    assert_eq!(catalog.get_user(&user.user_id).await.expect("get"), user);
    assert_eq!(
        catalog
            .find_user_by_username(&user.username)
            .await
            .expect("by username"),
        user
    );
    assert_eq!(
        catalog
            .find_user_by_email(&user.email)
            .await
            .expect("by email"),
        user
    );
}

/// A second user with the same id, username or e-mail is refused with the specific code.
pub async fn users_are_unique_by_id_username_and_email(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert user");

    let mut same_name = new_user();
    same_name.username = user.username.clone();
    let err = expect_err!(catalog.insert_user(&same_name).await, Conflict);
    assert_eq!(err.code(), "username_taken");

    let mut same_email = new_user();
    same_email.email = user.email.clone();
    let err = expect_err!(catalog.insert_user(&same_email).await, Conflict);
    assert_eq!(err.code(), "email_taken");

    let mut same_id = new_user();
    same_id.user_id = user.user_id.clone();
    let err = expect_err!(catalog.insert_user(&same_id).await, Conflict);
    assert_eq!(err.code(), "user_exists");

    // None of the refused users left a trace: their other names are still free.
    expect_err!(
        catalog.find_user_by_username(&same_email.username).await,
        NotFound
    );
    expect_err!(catalog.find_user_by_email(&same_name.email).await, NotFound);
    assert_eq!(catalog.get_user(&user.user_id).await.expect("get"), user);
}

/// Unknown id, username and e-mail are `NotFound`.
pub async fn missing_user_is_not_found(catalog: &dyn Catalog) {
    let user = new_user();
    expect_err!(catalog.get_user(&user.user_id).await, NotFound);
    expect_err!(
        catalog.find_user_by_username(&user.username).await,
        NotFound
    );
    expect_err!(catalog.find_user_by_email(&user.email).await, NotFound);
}

/// Callers normalise names; the catalog compares exactly what it is given, so every adapter
/// agrees on what "taken" means.
pub async fn users_are_looked_up_exactly_as_given(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert");
    expect_err!(
        catalog
            .find_user_by_username(&user.username.to_ascii_uppercase())
            .await,
        NotFound
    );
    expect_err!(
        catalog
            .find_user_by_email(&user.email.to_ascii_uppercase())
            .await,
        NotFound
    );
}

/// Renaming moves the user to the new name; the old one is nobody's current name any more
/// but stays held for the user, for [`USERNAME_HOLD_SECS`] from the rename.
pub async fn change_username_renames_and_holds_the_old_name(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert");
    let new_name = format!("r{}", unique());
    let before = now();
    let renamed = catalog
        .change_username(&user.user_id, &new_name)
        .await
        .expect("rename");
    let after = now();
    assert_eq!(renamed.username, new_name);
    assert_eq!(renamed.email, user.email);
    assert_eq!(
        catalog.get_user(&user.user_id).await.expect("get").username,
        new_name
    );
    assert_eq!(
        catalog
            .find_user_by_username(&new_name)
            .await
            .expect("by new name")
            .user_id,
        user.user_id
    );
    expect_err!(
        catalog.find_user_by_username(&user.username).await,
        NotFound
    );

    let hold = catalog
        .find_username_hold(&user.username)
        .await
        .expect("hold")
        .expect("the old name is held");
    assert_eq!(hold.user_id, user.user_id);
    assert!(
        hold.until >= before.plus_secs(USERNAME_HOLD_SECS)
            && hold.until <= after.plus_secs(USERNAME_HOLD_SECS),
        "held until {:?}, expected {USERNAME_HOLD_SECS} s after the rename",
        hold.until
    );
    // Current and unknown names are not holds.
    assert_eq!(
        catalog.find_username_hold(&new_name).await.expect("hold"),
        None
    );
    assert_eq!(
        catalog
            .find_username_hold(&format!("n{}", unique()))
            .await
            .expect("hold"),
        None
    );
}

/// While the old name is held, nobody else gets it: not by signing up, not by renaming.
pub async fn a_held_username_is_taken_for_everyone_else(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert");
    catalog
        .change_username(&user.user_id, &format!("r{}", unique()))
        .await
        .expect("rename");

    let mut newcomer = new_user();
    newcomer.username = user.username.clone();
    let err = expect_err!(catalog.insert_user(&newcomer).await, Conflict);
    assert_eq!(err.code(), "username_taken");
    expect_err!(catalog.get_user(&newcomer.user_id).await, NotFound);

    let other = new_user();
    catalog.insert_user(&other).await.expect("insert other");
    let err = expect_err!(
        catalog
            .change_username(&other.user_id, &user.username)
            .await,
        Conflict
    );
    assert_eq!(err.code(), "username_taken");
    assert_eq!(
        catalog
            .get_user(&other.user_id)
            .await
            .expect("other")
            .username,
        other.username
    );
    assert_eq!(
        catalog
            .find_username_hold(&user.username)
            .await
            .expect("hold")
            .map(|h| h.user_id),
        Some(user.user_id.clone()),
        "the hold still names its owner"
    );
}

/// The user may take a held former name back; the name given up then is held instead.
pub async fn a_held_username_can_be_taken_back_by_its_owner(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert");
    let interim = format!("r{}", unique());
    catalog
        .change_username(&user.user_id, &interim)
        .await
        .expect("rename");
    let back = catalog
        .change_username(&user.user_id, &user.username)
        .await
        .expect("take the old name back");
    assert_eq!(back, user);
    assert_eq!(
        catalog
            .find_user_by_username(&user.username)
            .await
            .expect("by the old name again"),
        user
    );
    assert_eq!(
        catalog
            .find_username_hold(&user.username)
            .await
            .expect("hold"),
        None,
        "a current name is not held"
    );
    expect_err!(catalog.find_user_by_username(&interim).await, NotFound);
    assert_eq!(
        catalog
            .find_username_hold(&interim)
            .await
            .expect("hold")
            .map(|h| h.user_id),
        Some(user.user_id.clone())
    );
    // And once more: holds follow the renames.
    catalog
        .change_username(&user.user_id, &interim)
        .await
        .expect("to the interim name again");
    assert_eq!(
        catalog
            .find_user_by_username(&interim)
            .await
            .expect("interim is current")
            .user_id,
        user.user_id
    );
    assert!(
        catalog
            .find_username_hold(&user.username)
            .await
            .expect("hold")
            .is_some()
    );
}

/// Renaming to another user's name is `Conflict` (`username_taken`) and changes nothing.
pub async fn change_username_to_a_taken_name_conflicts(catalog: &dyn Catalog) {
    let a = new_user();
    let b = new_user();
    catalog.insert_user(&a).await.expect("insert a");
    catalog.insert_user(&b).await.expect("insert b");
    let err = expect_err!(
        catalog.change_username(&a.user_id, &b.username).await,
        Conflict
    );
    assert_eq!(err.code(), "username_taken");
    assert_eq!(catalog.get_user(&a.user_id).await.expect("a"), a);
    assert_eq!(catalog.get_user(&b.user_id).await.expect("b"), b);
    assert_eq!(
        catalog
            .find_user_by_username(&a.username)
            .await
            .expect("a keeps its name")
            .user_id,
        a.user_id
    );
}

/// Renaming to the current name succeeds and changes nothing.
pub async fn change_username_to_the_current_name_is_a_no_op(catalog: &dyn Catalog) {
    let user = new_user();
    catalog.insert_user(&user).await.expect("insert");
    let same = catalog
        .change_username(&user.user_id, &user.username)
        .await
        .expect("no-op rename");
    assert_eq!(same, user);
    assert_eq!(
        catalog
            .find_user_by_username(&user.username)
            .await
            .expect("still found"),
        user
    );
}

/// Renaming a user that does not exist is `NotFound` and claims nothing.
pub async fn change_username_of_missing_user_is_not_found(catalog: &dyn Catalog) {
    let ghost = new_user();
    let name = format!("g{}", unique());
    expect_err!(
        catalog.change_username(&ghost.user_id, &name).await,
        NotFound
    );
    expect_err!(catalog.find_user_by_username(&name).await, NotFound);
}
