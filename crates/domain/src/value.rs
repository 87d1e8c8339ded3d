//! The conversions every text-backed value object shares: `TryFrom<String>` (which serde uses
//! through `#[serde(try_from = "String")]`), `From<Self> for String`, `Display` and `as_str`.

/// Implements the shared conversions for a newtype over `String` whose `FromStr` is the only
/// constructor.
macro_rules! text_value {
    ($name:ident, $error:ty) => {
        impl $name {
            /// The value as it is stored and shown.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub(crate) use text_value;
