//! Deterministic generation of large, valid registries, for the import benchmark and the
//! streaming tests.
//!
//! [`RegistryGenerator`] yields rows for a given number of meters: about 0.6 accounts per
//! meter (of the accounts, 5 % have no meter and one row with empty meter columns, 30 % one
//! meter, 58 % two, 7 % three), Cyrillic addresses in Ivanovo (about 10 % with a `;`, about
//! 2 % with quotes, so that both get quoted), debts from an overpayment to a few thousand
//! roubles, about 70 % of the meters with a verification date and about half with a last
//! reading. The same seed gives the same rows; nothing is kept but the current account, so
//! any number of rows takes constant memory.

use std::io::{self, Write};

use vodokanal_domain::registry::COLUMNS;

use crate::encode::encode_row;

/// `splitmix64`: small, fast, and good enough for test data.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (with a bias too small to matter here).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.below(high - low + 1)
    }

    /// `true` with the given chance in percent.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    #[expect(
        clippy::cast_possible_truncation,
        reason = "the remainder is below the slice's length, which is a usize"
    )]
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const STREETS: &[&str] = &[
    "ул. Лежневская",
    "Шереметевский пр.",
    "пр. Ленина",
    "ул. Фрунзе",
    "ул. 8 Марта",
    "ул. Багаева",
    "ул. Громобоя",
    "ул. Парижской Коммуны",
    "Кохомское ш.",
    "ул. Тимирязева",
    "ул. Куконковых",
    "ул. Рабфаковская",
    "ул. Генерала Хлебникова",
    "пр. Строителей",
    "ул. Любимова",
    "ул. Станкостроителей",
];

const COMPLEXES: &[&str] = &["Ткацкий", "Солнечный", "Березовая роща", "Уводь"];

/// The date the generated balances are computed for.
pub const BALANCE_AS_OF: &str = "2026-10-31";

/// How many of each were generated so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub rows: u64,
    pub accounts: u64,
    pub meters: u64,
}

#[derive(Debug, Clone)]
struct CurrentAccount {
    number: String,
    address: String,
    debt: String,
    /// Meters of the account not yet yielded.
    meters_left: u8,
    /// Meters of the account already yielded.
    meters_done: u8,
}

/// Rows of a registry (without the header, which is [`COLUMNS`]) for `meters` meters.
#[derive(Debug, Clone)]
pub struct RegistryGenerator {
    rng: SplitMix64,
    target_meters: u64,
    counts: Counts,
    account: Option<CurrentAccount>,
}

impl RegistryGenerator {
    pub fn new(meters: u64, seed: u64) -> Self {
        Self {
            rng: SplitMix64(seed),
            target_meters: meters,
            counts: Counts::default(),
            account: None,
        }
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    fn new_account(&mut self) -> CurrentAccount {
        let index = self.counts.accounts;
        self.counts.accounts += 1;
        // An affine map that is a bijection modulo 10^10 (the factor is prime to 10), so the
        // numbers are unique and look scattered.
        let number = format!(
            "{:010}",
            (index.wrapping_mul(2_654_435_761) + 1_000_000_007) % 10_000_000_000
        );
        let meters = match self.rng.below(100) {
            0..5 => 0,
            5..35 => 1,
            35..93 => 2,
            _ => 3,
        };
        let left = self.target_meters - self.counts.meters;
        CurrentAccount {
            number,
            address: self.address(),
            debt: self.debt(),
            meters_left: u8::try_from(left.min(meters)).unwrap_or(0),
            meters_done: 0,
        }
    }

    fn address(&mut self) -> String {
        let street = self.rng.pick(STREETS);
        let house = self.rng.between(1, 150);
        let flat = self.rng.between(1, 250);
        match self.rng.below(100) {
            0..10 => format!("г. Иваново, {street}, д. {house}"),
            10..20 => format!(
                "г. Иваново, {street}, д. {house}; корп. {}, кв. {flat}",
                self.rng.between(1, 4)
            ),
            20..22 => format!(
                "г. Иваново, ЖК \"{}\", {street}, д. {house}, кв. {flat}",
                self.rng.pick(COMPLEXES)
            ),
            _ => format!("г. Иваново, {street}, д. {house}, кв. {flat}"),
        }
    }

    fn debt(&mut self) -> String {
        let (sign, kopecks) = match self.rng.below(100) {
            0..20 => ("", 0),
            20..30 => ("-", self.rng.between(1, 100_000)),
            _ => ("", self.rng.between(1, 500_000)),
        };
        format!("{sign}{}.{:02}", kopecks / 100, kopecks % 100)
    }

    fn meter_row(&mut self, account: &CurrentAccount) -> [String; 9] {
        let index = self.counts.meters;
        self.counts.meters += 1;
        let (prefix, service) = if account.meters_done == 1 {
            ("ГВС", "hot_water")
        } else {
            ("ХВС", "cold_water")
        };
        // A bijection modulo 10^8, as for the account numbers.
        let number = format!(
            "{prefix}-{:08}",
            (index.wrapping_mul(48_271) + 12_345) % 100_000_000
        );
        let due = if self.rng.chance(70) {
            format!(
                "{}-{:02}-{:02}",
                self.rng.between(2027, 2032),
                self.rng.between(1, 12),
                self.rng.between(1, 28)
            )
        } else {
            String::new()
        };
        let (reading, reading_date) = if self.rng.chance(50) {
            (
                format!("{}.{:03}", self.rng.below(100_000), self.rng.below(1000)),
                format!("2026-10-{:02}", self.rng.between(1, 25)),
            )
        } else {
            (String::new(), String::new())
        };
        [
            account.number.clone(),
            account.address.clone(),
            account.debt.clone(),
            BALANCE_AS_OF.to_owned(),
            number,
            service.to_owned(),
            due,
            reading,
            reading_date,
        ]
    }
}

impl Iterator for RegistryGenerator {
    type Item = [String; 9];

    fn next(&mut self) -> Option<Self::Item> {
        let row = loop {
            match self.account.take() {
                Some(mut account) if account.meters_left > 0 => {
                    let row = self.meter_row(&account);
                    account.meters_left -= 1;
                    account.meters_done += 1;
                    self.account = Some(account);
                    break row;
                }
                // The account's meters are done.
                Some(_) | None => {
                    if self.counts.meters >= self.target_meters {
                        return None;
                    }
                    let account = self.new_account();
                    if account.meters_left == 0 {
                        break [
                            account.number,
                            account.address,
                            account.debt,
                            BALANCE_AS_OF.to_owned(),
                            String::new(),
                            String::new(),
                            String::new(),
                            String::new(),
                            String::new(),
                        ];
                    }
                    self.account = Some(account);
                }
            }
        };
        self.counts.rows += 1;
        Some(row)
    }
}

/// Writes a whole registry, the header and the rows of `meters` meters, to `out` (which
/// should be buffered), and returns what it wrote.
pub fn write_registry<W: Write>(meters: u64, seed: u64, mut out: W) -> io::Result<Counts> {
    let mut line = Vec::with_capacity(512);
    encode_row(&COLUMNS, &mut line);
    out.write_all(&line)?;
    let mut rows = RegistryGenerator::new(meters, seed);
    for row in rows.by_ref() {
        line.clear();
        encode_row(&row, &mut line);
        out.write_all(&line)?;
    }
    out.flush()?;
    Ok(rows.counts())
}
