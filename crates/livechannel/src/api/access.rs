//! Who may do what: the access matrix of [`crate::api`].

use super::error::ApiError;
use crate::auth::Principal;
use crate::catalog::Acl;

/// What an operation needs from an anonymous caller's bucket ACL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// CORS preflight: anyone.
    Open,
    /// Service and bucket administration (ListBuckets, PutBucket,
    /// DeleteBucket, bucket ACL): signed, unless no access key is configured.
    Admin,
    /// Reading objects and object listings: `public-read` or `public-read-write`.
    Read,
    /// Writing objects: `public-read-write`.
    Write,
    /// Every LiveChannel and VOD playlist call: `public-read-write`.
    Channel,
}

/// Allows or refuses an operation. A signed request (any configured key)
/// may do everything; an anonymous one what the table says.
pub(crate) fn check(
    access: Access,
    principal: &Principal,
    acl: Option<Acl>,
    no_keys_configured: bool,
) -> Result<(), ApiError> {
    if matches!(principal, Principal::AccessKey(_)) {
        return Ok(());
    }
    let allowed = match access {
        Access::Open => true,
        Access::Admin => no_keys_configured,
        Access::Read => matches!(acl, Some(Acl::PublicRead | Acl::PublicReadWrite)),
        Access::Write | Access::Channel => acl == Some(Acl::PublicReadWrite),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::access_denied(
            "You have no right to access this object because of bucket acl.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_matrix() {
        let anon = Principal::Anonymous;
        let signed = Principal::AccessKey("AK".into());
        use Access::*;
        use Acl::*;
        // (access, acl, keys configured?) -> anonymous allowed
        let rows = [
            (Open, None, true, true),
            (Admin, None, true, false),
            (Admin, None, false, true),
            (Admin, Some(PublicReadWrite), true, false),
            (Read, Some(Private), true, false),
            (Read, Some(PublicRead), true, true),
            (Read, Some(PublicReadWrite), true, true),
            (Write, Some(PublicRead), true, false),
            (Write, Some(PublicReadWrite), true, true),
            (Channel, Some(Private), false, false),
            (Channel, Some(PublicRead), true, false),
            (Channel, Some(PublicReadWrite), true, true),
        ];
        for (access, acl, keys, allowed) in rows {
            assert_eq!(
                check(access, &anon, acl, !keys).is_ok(),
                allowed,
                "{access:?} {acl:?} {keys}"
            );
            assert!(check(access, &signed, acl, !keys).is_ok());
        }
    }
}
