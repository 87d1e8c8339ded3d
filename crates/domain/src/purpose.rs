//! Payment purposes (назначение платежа), in the order the app lists them.

use serde::{Deserialize, Serialize};

crate::code_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum PaymentPurpose {
        Water => "water",
        TemporaryWaterSupply => "temporary_water_supply",
        Court => "court",
        Heating => "heating",
    }
    impl FromStr with PaymentPurposeError;
    impl Display;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("payment purpose must be one of water, temporary_water_supply, court, heating")]
pub struct PaymentPurposeError;

impl PaymentPurpose {
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
