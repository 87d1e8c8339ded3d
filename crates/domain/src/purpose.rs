//! Payment purposes (назначение платежа), in the order the app lists them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentPurpose {
    Water,
    TemporaryWaterSupply,
    Court,
    Heating,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment purpose must be one of water, temporary_water_supply, court, heating")]
pub struct PaymentPurposeError;

impl PaymentPurpose {
    /// Every purpose, in the order the app shows them.
    pub const ALL: [Self; 4] = [
        Self::Water,
        Self::TemporaryWaterSupply,
        Self::Court,
        Self::Heating,
    ];

    pub const fn code(self) -> &'static str {
        match self {
            Self::Water => "water",
            Self::TemporaryWaterSupply => "temporary_water_supply",
            Self::Court => "court",
            Self::Heating => "heating",
        }
    }

    /// The title shown to subscribers.
    pub const fn title(self) -> &'static str {
        match self {
            Self::Water => "Вода",
            Self::TemporaryWaterSupply => "Временный водопровод",
            Self::Court => "Судебные",
            Self::Heating => "Отопление",
        }
    }
}

impl FromStr for PaymentPurpose {
    type Err = PaymentPurposeError;
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|purpose| purpose.code() == input.trim())
            .ok_or(PaymentPurposeError)
    }
}

impl fmt::Display for PaymentPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn four_purposes_in_order_with_russian_titles() {
        let listed: Vec<(&str, &str)> = PaymentPurpose::ALL
            .iter()
            .map(|p| (p.code(), p.title()))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("water", "Вода"),
                ("temporary_water_supply", "Временный водопровод"),
                ("court", "Судебные"),
                ("heating", "Отопление"),
            ]
        );
    }

    #[test]
    fn parses_codes_only() {
        assert_eq!("court".parse::<PaymentPurpose>(), Ok(PaymentPurpose::Court));
        for bad in ["", "Вода", "WATER", "gas"] {
            assert_eq!(
                bad.parse::<PaymentPurpose>(),
                Err(PaymentPurposeError),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC*") {
            let _ = s.parse::<PaymentPurpose>();
        }

        #[test]
        fn what_formats_parses_back(i in 0usize..4) {
            let purpose = PaymentPurpose::ALL[i];
            prop_assert_eq!(purpose.to_string().parse::<PaymentPurpose>(), Ok(purpose));
        }
    }
}
