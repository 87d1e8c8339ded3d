//! The 54-FZ receipt rules: the tax system and, per payment purpose, the VAT rate, the payment
//! subject and the payment mode of the receipt's one item. Provider-neutral: each provider
//! adapter spells them its own way (YooKassa's `vat_code` 1..=12, T-Bank's `vat20`, …).
//!
//! The defaults follow the suggestion of the planning notes, to be confirmed by the utility's
//! accountant (`VODOKANAL_CONFIG`, `[receipt_items.<purpose>]`): water, temporary water supply
//! and heating are a `service` paid in `full_payment` at VAT 22 % (from 2026); court costs are
//! `another`, without VAT.

use std::collections::BTreeMap;

use vodokanal_domain::PaymentPurpose;

/// Why a receipt setting can't be read: the text given and what it may be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{got:?} is not one of {expected}")]
pub struct ReceiptRuleError {
    got: String,
    expected: String,
}

impl ReceiptRuleError {
    fn unknown(got: &str, expected: &str) -> Self {
        Self {
            got: got.to_owned(),
            expected: expected.to_owned(),
        }
    }
}

vodokanal_domain::code_enum! {
    /// The VAT rate of an item (ставка НДС); the fractions are the calculated rates of advances.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum VatRate {
        None => "none",
        Vat0 => "0",
        Vat5 => "5",
        Vat7 => "7",
        Vat10 => "10",
        Vat20 => "20",
        Vat22 => "22",
        Vat5Of105 => "5/105",
        Vat7Of107 => "7/107",
        Vat10Of110 => "10/110",
        Vat20Of120 => "20/120",
        Vat22Of122 => "22/122",
    }
    impl FromStr with ReceiptRuleError::unknown;
    impl Display;
}

vodokanal_domain::code_enum! {
    /// What is paid for (признак предмета расчёта).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum PaymentSubject {
        Commodity => "commodity",
        Excise => "excise",
        Job => "job",
        Service => "service",
        GamblingBet => "gambling_bet",
        GamblingPrize => "gambling_prize",
        Lottery => "lottery",
        LotteryPrize => "lottery_prize",
        IntellectualActivity => "intellectual_activity",
        Payment => "payment",
        AgentCommission => "agent_commission",
        Composite => "composite",
        Another => "another",
    }
    impl FromStr with ReceiptRuleError::unknown;
    impl Display;
}

vodokanal_domain::code_enum! {
    /// How it is paid (признак способа расчёта).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum PaymentMode {
        FullPrepayment => "full_prepayment",
        PartialPrepayment => "partial_prepayment",
        Advance => "advance",
        FullPayment => "full_payment",
        PartialPayment => "partial_payment",
        Credit => "credit",
        CreditPayment => "credit_payment",
    }
    impl FromStr with ReceiptRuleError::unknown;
    impl Display;
}

vodokanal_domain::code_enum! {
    /// The utility's tax system (система налогообложения).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum TaxSystem {
        /// General (ОСН).
        Osn => "osn",
        UsnIncome => "usn_income",
        UsnIncomeOutcome => "usn_income_outcome",
        /// Unified agricultural tax (ЕСХН).
        Esn => "esn",
        Patent => "patent",
    }
    impl FromStr with ReceiptRuleError::unknown;
    impl Display;
}

/// The receipt item of one payment purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceiptItemRule {
    pub vat: VatRate,
    pub payment_subject: PaymentSubject,
    pub payment_mode: PaymentMode,
}

impl Default for ReceiptItemRule {
    /// A utility service paid in full at VAT 22 %.
    fn default() -> Self {
        Self {
            vat: VatRate::Vat22,
            payment_subject: PaymentSubject::Service,
            payment_mode: PaymentMode::FullPayment,
        }
    }
}

/// The receipt rules of every payment purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRules {
    /// Sent when set (YooKassa's `tax_system_code` is needed only by a shop with several tax
    /// systems); T-Bank's required `Taxation` is `osn` when unset.
    pub tax_system: Option<TaxSystem>,
    items: BTreeMap<PaymentPurpose, ReceiptItemRule>,
}

impl ReceiptRules {
    /// The item of a purpose.
    pub fn item(&self, purpose: PaymentPurpose) -> ReceiptItemRule {
        self.items.get(&purpose).copied().unwrap_or_default()
    }

    /// Replaces the item of a purpose.
    pub fn set_item(&mut self, purpose: PaymentPurpose, item: ReceiptItemRule) {
        self.items.insert(purpose, item);
    }
}

impl Default for ReceiptRules {
    fn default() -> Self {
        let court = ReceiptItemRule {
            vat: VatRate::None,
            payment_subject: PaymentSubject::Another,
            payment_mode: PaymentMode::FullPayment,
        };
        Self {
            tax_system: None,
            items: PaymentPurpose::ALL
                .into_iter()
                .map(|purpose| {
                    let item = if purpose == PaymentPurpose::Court {
                        court
                    } else {
                        ReceiptItemRule::default()
                    };
                    (purpose, item)
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_its_own_spelling() {
        for vat in VatRate::ALL {
            assert_eq!(vat.code().parse::<VatRate>(), Ok(vat));
        }
        for subject in PaymentSubject::ALL {
            assert_eq!(subject.to_string().parse::<PaymentSubject>(), Ok(subject));
        }
        for mode in PaymentMode::ALL {
            assert_eq!(mode.code().parse::<PaymentMode>(), Ok(mode));
        }
        for tax in TaxSystem::ALL {
            assert_eq!(tax.code().parse::<TaxSystem>(), Ok(tax));
        }
        assert_eq!(" 20/120 ".parse::<VatRate>(), Ok(VatRate::Vat20Of120));
    }

    #[test]
    fn an_unknown_spelling_lists_the_known_ones() {
        let error = "20%".parse::<VatRate>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "\"20%\" is not one of none, 0, 5, 7, 10, 20, 22, 5/105, 7/107, 10/110, 20/120, 22/122"
        );
        assert!("osn ".parse::<TaxSystem>().is_ok());
        assert!("envd".parse::<TaxSystem>().is_err());
    }

    #[test]
    fn the_defaults_are_a_service_at_22_and_court_costs_without_vat() {
        let rules = ReceiptRules::default();
        assert_eq!(rules.tax_system, None);
        for purpose in [
            PaymentPurpose::Water,
            PaymentPurpose::TemporaryWaterSupply,
            PaymentPurpose::Heating,
        ] {
            assert_eq!(rules.item(purpose), ReceiptItemRule::default());
        }
        assert_eq!(
            rules.item(PaymentPurpose::Court),
            ReceiptItemRule {
                vat: VatRate::None,
                payment_subject: PaymentSubject::Another,
                payment_mode: PaymentMode::FullPayment,
            }
        );
        let mut rules = rules;
        let item = ReceiptItemRule {
            vat: VatRate::Vat20,
            payment_subject: PaymentSubject::Payment,
            payment_mode: PaymentMode::Advance,
        };
        rules.set_item(PaymentPurpose::Heating, item);
        assert_eq!(rules.item(PaymentPurpose::Heating), item);
    }
}
