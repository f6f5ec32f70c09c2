//! Cross-site request forgery protection for the HTML forms: the double
//! submit token (a cookie another site cannot read, repeated in the form)
//! and the request's origin. [`CsrfForm`] checks both and reads the form's
//! fields in one step, so a handler only ever sees a checked form.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::PageContext;
use crate::domain::Token;
use crate::error::AppError;

pub const CSRF_COOKIE: &str = "musubi_csrf";

impl PageContext {
    /// Checks a submitted form's CSRF token against the cookie (double submit:
    /// another site can make the browser send the cookie, but cannot read it
    /// to put it in the form), and, as a second line behind it, that the
    /// browser named this site as the form's origin.
    pub fn verify_csrf(&self, submitted: Option<&str>) -> Result<(), AppError> {
        if !self.same_origin {
            return Err(AppError::Forbidden("origin"));
        }
        let valid = !self.new_csrf
            && submitted.is_some_and(|s| {
                Token::parse(&self.csrf_token).is_ok_and(|cookie| cookie.matches(s))
            });
        if valid {
            Ok(())
        } else {
            Err(AppError::Forbidden("csrf"))
        }
    }
}

/// A submitted HTML form whose CSRF token and origin checked out (else the
/// request is answered 403 before the handler runs), with its fields read
/// as `T`. Fields that do not read as `T` are kept as the validation error,
/// so that the handler can show the form again with the problem.
pub struct CsrfForm<T>(Result<T, AppError>);

impl<T> CsrfForm<T> {
    /// The fields, or the validation error of a body that does not read as `T`.
    pub fn into_inner(self) -> Result<T, AppError> {
        self.0
    }
}

/// The fields of a form that is only a button (sign out, retry, cancel).
#[derive(Debug, Deserialize)]
pub struct Button {}

/// Splits the token off a form body: the other fields are left as they
/// were sent (the resource's field struct refuses unknown fields, so the
/// token must not reach it), without decoding and encoding them again.
fn take_token(body: &[u8]) -> (Option<String>, Vec<u8>) {
    let mut token = None;
    let mut rest = Vec::with_capacity(body.len());
    for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        if let Some((key, value)) = url::form_urlencoded::parse(pair).next()
            && key == "csrf_token"
        {
            token = Some(value.into_owned());
            continue;
        }
        if !rest.is_empty() {
            rest.push(b'&');
        }
        rest.extend_from_slice(pair);
    }
    (token, rest)
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let ctx = PageContext::of(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?;
            let (token, fields) = take_token(&body);
            ctx.verify_csrf(token.as_deref())?;
            Ok(CsrfForm(crate::service::fields::from_form(&fields)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Fields {
        name: Option<String>,
        #[serde(default)]
        rooms: Vec<String>,
    }

    fn read(body: &[u8]) -> (Option<String>, Result<Fields, AppError>) {
        let (token, rest) = take_token(body);
        (token, crate::service::fields::from_form(&rest))
    }

    #[test]
    fn the_token_is_taken_off_and_repeated_keys_stay_lists() {
        let (token, fields) = read(b"name=%E7%B5%90&csrf_token=abc&rooms=a&rooms=b");
        assert_eq!(token.as_deref(), Some("abc"));
        assert_eq!(
            fields.unwrap(),
            Fields {
                name: Some("結".into()),
                rooms: vec!["a".into(), "b".into()],
            }
        );
        let (token, fields) = read(b"csrf%5Ftoken=a%2Bb&rooms=a");
        assert_eq!(token.as_deref(), Some("a+b"));
        assert_eq!(fields.unwrap().rooms, vec!["a".to_owned()]);
    }

    #[test]
    fn unknown_fields_are_still_refused() {
        let (token, fields) = read(b"csrf_token=abc&admin=1");
        assert_eq!(token.as_deref(), Some("abc"));
        assert!(fields.is_err());
        assert_eq!(read(b"name=x").0, None);
    }
}
