//! Request bodies written once: [`request_body!`] declares the struct that
//! the OpenAPI document shows and the handler receives, and reads it from the JSON object field
//! by field ([`FieldRead`], by each field's type); [`Body`] is its extractor.

use axum::extract::{FromRequest, Request};

use super::body::{Form, JsonBody};
use super::values::{FieldValue, ReturnUrl};
use crate::problem::Problem;
use crate::state::AppState;

/// A request body's type, read field by field from a JSON object.
pub trait RequestBody: Sized {
    /// The value; `None` when a field was bad, each bad field recorded on `form`.
    fn read(form: &mut Form<'_>) -> Option<Self>;
}

/// How one field of a request body is read, by its type: a value object is required, an
/// `Option` of one is optional (absent, `null` or blank is `None`).
pub trait FieldRead: Sized {
    /// The value; `None` when the field was bad, and then it is recorded on `form`.
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self>;
}

impl<T: FieldValue> FieldRead for T {
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self> {
        form.required(name)
    }
}

impl<T: FieldValue> FieldRead for Option<T> {
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self> {
        form.optional(name)
    }
}

/// A field that must be sent, where `null`, `""` or blanks clear the value: so that a misspelt
/// name does not clear it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clearable<T>(pub Option<T>);

impl<T: FieldValue> FieldRead for Clearable<T> {
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self> {
        if !form.has(name) {
            form.error(name, "required", T::REQUIRED);
        }
        form.optional(name).map(Self)
    }
}

const CONSENT_REQUIRED: &str = "Необходимо согласие на обработку персональных данных.";

/// `consent_personal_data`: only `true` is read; `false`, like a missing field, is the same
/// 422 as the use case's refusal, named with the other bad fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsentGiven;

impl FieldRead for ConsentGiven {
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self> {
        match form.required_bool(name, CONSENT_REQUIRED) {
            Some(true) => Some(Self),
            Some(false) => {
                form.error(name, "required", CONSENT_REQUIRED);
                None
            }
            None => None,
        }
    }
}

/// A `return_url` is optional, and must lead to the server's public origin or one of
/// `VODOKANAL_RETURN_ORIGINS`.
impl FieldRead for Option<ReturnUrl> {
    fn read(form: &mut Form<'_>, name: &str) -> Option<Self> {
        let url = match form.optional_text(name, false)? {
            None => return Some(None),
            Some(text) => match ReturnUrl::parse(&text) {
                Ok(url) => url,
                Err(invalid) => {
                    form.error(name, invalid.code, invalid.message);
                    return None;
                }
            },
        };
        if form.origins.allows(&url) {
            Some(Some(url))
        } else {
            form.error(
                name,
                "invalid",
                "Адрес возврата должен вести на сайт личного кабинета",
            );
            None
        }
    }
}

/// A JSON request body read into `T`: 415 when it is not JSON, one 422 naming every bad field.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: RequestBody> FromRequest<AppState> for Body<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let body = JsonBody::from_request(request, state).await?;
        body.read(&state.return_origins).map(Self)
    }
}

/// Declares a request body once: the struct (with `utoipa::ToSchema` for the OpenAPI document)
/// and its [`RequestBody`] reading, each field by its type's [`FieldRead`]. A field of a value
/// object type says how the document shows it: `#[schema(value_type = String)]`.
macro_rules! request_body {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $($(#[$field_meta:meta])* pub $field:ident: $type:ty,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, utoipa::ToSchema)]
        pub struct $name {
            $($(#[$field_meta])* pub $field: $type,)+
        }

        impl $crate::extract::RequestBody for $name {
            fn read(form: &mut $crate::extract::Form<'_>) -> Option<Self> {
                $(let $field =
                    <$type as $crate::extract::FieldRead>::read(form, stringify!($field));)+
                Some(Self { $($field: $field?,)+ })
            }
        }
    };
}

pub(crate) use request_body;
