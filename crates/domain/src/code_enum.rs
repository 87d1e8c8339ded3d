//! The `code_enum!` macro: an enum whose variants are spelled by fixed codes.

/// Declares an enum whose every variant has a code (its spelling in the database, a file or
/// the configuration), with `ALL` (the variants in order), `code()` and `from_code()` (the
/// exact code, `None` otherwise). Optionally, after the enum:
///
/// - `impl FromStr with Error;`: parses the trimmed text; an unknown one is the unit struct
///   `Error`. `impl FromStr with Error::new;` calls `Error::new(text, expected)` instead, with
///   the trimmed text and the codes joined by `", "`.
/// - `impl Display;`: writes the code.
///
/// ```
/// vodokanal_domain::code_enum! {
///     #[derive(Debug, Clone, Copy, PartialEq, Eq)]
///     pub enum Tap {
///         Cold => "cold",
///         Hot => "hot",
///     }
///     impl FromStr with TapError;
///     impl Display;
/// }
///
/// #[derive(Debug, PartialEq, Eq)]
/// pub struct TapError;
///
/// assert_eq!(Tap::ALL, [Tap::Cold, Tap::Hot]);
/// assert_eq!(" hot ".parse::<Tap>(), Ok(Tap::Hot));
/// assert_eq!("warm".parse::<Tap>(), Err(TapError));
/// assert_eq!(Tap::from_code(" hot "), None);
/// assert_eq!(Tap::Cold.to_string(), "cold");
/// ```
#[macro_export]
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$variant_meta:meta])* $variant:ident => $code:literal ),+ $(,)?
        }
        $($impls:tt)*
    ) => {
        $(#[$meta])*
        $vis enum $name {
            $( $(#[$variant_meta])* $variant ),+
        }

        impl $name {
            /// Every variant, in order.
            pub const ALL: [Self; [$($code),+].len()] = [$(Self::$variant),+];

            /// The variant's code.
            pub const fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => $code),+
                }
            }

            /// The variant of exactly this code.
            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.into_iter().find(|variant| variant.code() == code)
            }
        }

        $crate::code_enum!(@impls $name $($impls)*);
    };
    (@impls $name:ident) => {};
    (@impls $name:ident impl FromStr with $error:ident :: $constructor:ident; $($rest:tt)*) => {
        impl ::core::str::FromStr for $name {
            type Err = $error;
            fn from_str(input: &str) -> Result<Self, Self::Err> {
                let input = input.trim();
                Self::from_code(input).ok_or_else(|| {
                    $error::$constructor(input, &Self::ALL.map(Self::code).join(", "))
                })
            }
        }
        $crate::code_enum!(@impls $name $($rest)*);
    };
    (@impls $name:ident impl FromStr with $error:ident; $($rest:tt)*) => {
        impl ::core::str::FromStr for $name {
            type Err = $error;
            fn from_str(input: &str) -> Result<Self, Self::Err> {
                Self::from_code(input.trim()).ok_or($error)
            }
        }
        $crate::code_enum!(@impls $name $($rest)*);
    };
    (@impls $name:ident impl Display; $($rest:tt)*) => {
        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.code())
            }
        }
        $crate::code_enum!(@impls $name $($rest)*);
    };
}
