//! Identifiers: every id is a newtype over a UUID, so that one can't be passed for another.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A random (version 4) id from 16 bytes of a CSPRNG.
            pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
                Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
            }

            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(input: &str) -> Result<Self, Self::Err> {
                Uuid::try_parse(input.trim()).map(Self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }
    };
}

uuid_id!(
    /// A registered subscriber.
    UserId
);
uuid_id!(
    /// A payment; also its public, unguessable reference (`GET /payments/{id}`).
    PaymentId
);
uuid_id!(
    /// A meter reading.
    ReadingId
);
uuid_id!(
    /// A visit request.
    VisitRequestId
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn random_ids_are_version_4() {
        let id = PaymentId::from_random_bytes([7; 16]);
        assert_eq!(id.as_uuid().get_version_num(), 4);
        assert_eq!(id.to_string().parse::<PaymentId>().unwrap(), id);
        assert!("not-a-uuid".parse::<UserId>().is_err());
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<PaymentId>();
        }

        #[test]
        fn what_formats_parses_back(bytes: [u8; 16]) {
            let id = ReadingId::from_random_bytes(bytes);
            prop_assert_eq!(id.to_string().parse::<ReadingId>().unwrap(), id);
        }
    }
}
