//! Consumption at a glance (расход по месяцам): per meter, the consumption of the last
//! [`SERIES_PERIODS`] periods, the current one last.
//!
//! A period's consumption is its live reading less the meter's latest live reading of an
//! earlier period (any earlier period, also one before the series). So:
//! - a period without a live reading is a gap: no value, no consumption (not zero);
//! - the first reading a meter ever has has no consumption;
//! - after a gap, the consumption spans the months since the base reading, and the point says
//!   so ([`ConsumptionPoint::spans_periods`]), so that two months' water is not shown as one
//!   month's;
//! - a reading below its base (possible after a meter change in the registry) has no
//!   consumption, never a negative one;
//! - voided readings never count.

use std::collections::BTreeMap;

use crate::meter::Meter;
use crate::period::Period;
use crate::reading::{Reading, ReadingValue};

/// How many periods a series holds: a year, the current period last.
pub const SERIES_PERIODS: usize = 12;

/// One period of a meter's series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumptionPoint {
    pub period: Period,
    /// The meter's live reading of the period; `None`: no reading, a gap.
    pub value: Option<ReadingValue>,
    /// `value` less the meter's latest live reading of an earlier period; `None` when either
    /// is missing or `value` is below it.
    pub consumption: Option<ReadingValue>,
    /// How many months `consumption` covers: 1 when its base is the previous period's
    /// reading, more after a gap; `None` without a consumption.
    pub spans_periods: Option<u32>,
}

/// One meter's series: [`SERIES_PERIODS`] points, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterConsumption {
    pub meter: Meter,
    pub points: Vec<ConsumptionPoint>,
}

/// The consumption of an account's meters over the periods ending with the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumptionSeries {
    pub current: Period,
    /// The series' periods, oldest first, `current` last.
    pub periods: Vec<Period>,
    /// One series per meter, in the order of the meters given.
    pub meters: Vec<MeterConsumption>,
}

impl ConsumptionSeries {
    /// The first period of the series ending with `current`: the readings the series needs
    /// are the live ones from it on, and each meter's last live one before it.
    pub fn first_period(current: Period) -> Period {
        (1..SERIES_PERIODS).fold(current, |period, _| period.previous())
    }

    /// The series of `meters` ending with `current`, from their `readings`: those of other
    /// meters, voided ones and those after `current` are ignored; the readings before the
    /// series count as bases.
    pub fn build(current: Period, meters: &[Meter], readings: &[Reading]) -> Self {
        let first = Self::first_period(current);
        let periods: Vec<Period> = std::iter::successors(Some(first), |p| Some(p.next()))
            .take(SERIES_PERIODS)
            .collect();
        let meters = meters
            .iter()
            .map(|meter| {
                let live = live_by_period(meter, current, readings);
                let points = periods.iter().map(|&period| point(period, &live)).collect();
                MeterConsumption {
                    meter: meter.clone(),
                    points,
                }
            })
            .collect();
        Self {
            current,
            periods,
            meters,
        }
    }
}

/// The meter's live readings up to `current`, by period (of two for one period, which the
/// stores never hold, the later submitted).
fn live_by_period<'a>(
    meter: &Meter,
    current: Period,
    readings: &'a [Reading],
) -> BTreeMap<Period, &'a Reading> {
    let mut live: BTreeMap<Period, &Reading> = BTreeMap::new();
    for reading in readings
        .iter()
        .filter(|r| r.meter_number == meter.number && r.voided.is_none() && r.period <= current)
    {
        live.entry(reading.period)
            .and_modify(|kept| {
                if reading.submitted_at > kept.submitted_at {
                    *kept = reading;
                }
            })
            .or_insert(reading);
    }
    live
}

fn point(period: Period, live: &BTreeMap<Period, &Reading>) -> ConsumptionPoint {
    let value = live.get(&period).map(|r| r.value);
    let base = live.range(..period).next_back().map(|(_, r)| *r);
    let consumption = value
        .zip(base)
        .and_then(|(value, base)| value.since(base.value).map(|c| (c, base.period)));
    ConsumptionPoint {
        period,
        value,
        consumption: consumption.map(|(c, _)| c),
        spans_periods: consumption.map(|(_, since)| period.months_since(since)),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeDelta, Utc};
    use proptest::prelude::*;

    use super::*;
    use crate::ids::ReadingId;
    use crate::meter::MeterService;
    use crate::reading::{ReadingSource, Voided};

    fn period(text: &str) -> Period {
        text.parse().unwrap()
    }

    fn value(text: &str) -> ReadingValue {
        text.parse().unwrap()
    }

    fn meter(number: &str) -> Meter {
        Meter {
            number: number.parse().unwrap(),
            service: MeterService::ColdWater,
            verification_due: None,
        }
    }

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap()
    }

    fn reading(meter: &Meter, of: &str, litres: u64) -> Reading {
        Reading {
            id: ReadingId::from_uuid(uuid::Uuid::from_u128(u128::from(litres))),
            account_number: "123456".parse().unwrap(),
            meter_number: meter.number.clone(),
            value: ReadingValue::from_litres(litres).unwrap(),
            previous_value: None,
            consumption: None,
            period: period(of),
            submitted_at: at(),
            source: ReadingSource::Cabinet,
            warnings: Vec::new(),
            user_id: None,
            submitter: None,
            voided: None,
        }
    }

    fn voided(reading: Reading) -> Reading {
        Reading {
            voided: Some(Voided {
                at: at(),
                reason: "ошибка".parse().unwrap(),
            }),
            ..reading
        }
    }

    /// The points of the one meter's series ending with 2026-12, by period.
    fn points(readings: &[Reading]) -> BTreeMap<String, ConsumptionPoint> {
        let series = ConsumptionSeries::build(period("2026-12"), &[meter("A1")], readings);
        series.meters[0]
            .points
            .iter()
            .map(|p| (p.period.to_string(), *p))
            .collect()
    }

    #[test]
    fn the_series_is_the_twelve_periods_ending_with_the_current_one() {
        let series = ConsumptionSeries::build(period("2026-03"), &[meter("A1")], &[]);
        let periods: Vec<String> = series.periods.iter().map(ToString::to_string).collect();
        assert_eq!(periods.first().unwrap(), "2025-04");
        assert_eq!(periods.last().unwrap(), "2026-03");
        assert_eq!(periods.len(), SERIES_PERIODS);
        assert_eq!(
            ConsumptionSeries::first_period(period("2026-12")),
            period("2026-01")
        );
        let point_periods: Vec<Period> = series.meters[0].points.iter().map(|p| p.period).collect();
        assert_eq!(point_periods, series.periods);
    }

    #[test]
    fn consumption_is_the_value_less_the_previous_periods_reading() {
        let a = meter("A1");
        let found = points(&[
            reading(&a, "2026-10", 100_000),
            reading(&a, "2026-11", 112_500),
        ]);
        let november = found["2026-11"];
        assert_eq!(november.value, Some(value("112.5")));
        assert_eq!(november.consumption, Some(value("12.5")));
        assert_eq!(november.spans_periods, Some(1));
    }

    #[test]
    fn a_first_ever_reading_has_no_consumption() {
        let found = points(&[reading(&meter("A1"), "2026-05", 100_000)]);
        let may = found["2026-05"];
        assert_eq!(may.value, Some(value("100")));
        assert_eq!((may.consumption, may.spans_periods), (None, None));
    }

    #[test]
    fn a_period_without_a_reading_is_a_gap_and_the_next_spans_it() {
        let a = meter("A1");
        let found = points(&[
            reading(&a, "2026-08", 100_000),
            reading(&a, "2026-10", 110_000),
        ]);
        let september = found["2026-09"];
        assert_eq!(
            (
                september.value,
                september.consumption,
                september.spans_periods
            ),
            (None, None, None)
        );
        let october = found["2026-10"];
        assert_eq!(october.consumption, Some(value("10")));
        assert_eq!(october.spans_periods, Some(2));
        assert_eq!(found["2026-11"].value, None);
    }

    #[test]
    fn the_base_may_be_a_reading_before_the_series() {
        let a = meter("A1");
        let found = points(&[
            reading(&a, "2025-06", 50_000),
            reading(&a, "2026-01", 80_000),
        ]);
        let january = found["2026-01"];
        assert_eq!(january.consumption, Some(value("30")));
        assert_eq!(january.spans_periods, Some(7));
        assert!(!found.contains_key("2025-06"));
    }

    #[test]
    fn a_value_below_its_base_has_no_consumption() {
        let a = meter("A1");
        let found = points(&[
            reading(&a, "2026-10", 900_000),
            reading(&a, "2026-11", 5_000),
        ]);
        let november = found["2026-11"];
        assert_eq!(november.value, Some(value("5")));
        assert_eq!((november.consumption, november.spans_periods), (None, None));
    }

    #[test]
    fn voided_readings_never_count() {
        let a = meter("A1");
        let found = points(&[
            reading(&a, "2026-09", 100_000),
            voided(reading(&a, "2026-10", 500_000)),
            reading(&a, "2026-11", 104_000),
        ]);
        assert_eq!(found["2026-10"].value, None);
        assert_eq!(found["2026-11"].consumption, Some(value("4")));
        assert_eq!(found["2026-11"].spans_periods, Some(2));
    }

    #[test]
    fn other_meters_and_later_periods_are_ignored_and_each_meter_has_its_series() {
        let (a, b) = (meter("A1"), meter("B2"));
        let readings = [
            reading(&a, "2026-11", 10_000),
            reading(&b, "2026-11", 20_000),
            reading(&b, "2026-12", 21_000),
            reading(&meter("C3"), "2026-12", 30_000),
            reading(&a, "2027-01", 40_000),
        ];
        let series =
            ConsumptionSeries::build(period("2026-12"), &[b.clone(), a.clone()], &readings);
        assert_eq!(series.meters[0].meter, b);
        assert_eq!(series.meters[0].points[11].consumption, Some(value("1")));
        assert_eq!(series.meters[1].meter, a);
        assert_eq!(series.meters[1].points[11].value, None);
    }

    #[test]
    fn of_two_live_readings_of_a_period_the_later_submitted_counts() {
        let a = meter("A1");
        let later = Reading {
            submitted_at: at() + TimeDelta::seconds(1),
            ..reading(&a, "2026-12", 7_000)
        };
        let found = points(&[later, reading(&a, "2026-12", 9_000)]);
        assert_eq!(found["2026-12"].value, Some(value("7")));
    }

    proptest! {
        #[test]
        fn every_series_has_twelve_points_never_negative_and_gaps_only_without_readings(
            month in 0u32..24,
            entries in prop::collection::btree_map(0u32..30, (0u64..2_000_000, any::<bool>()), 0..30),
        ) {
            let a = meter("A1");
            let start = period("2025-01");
            let nth = |n: u32| (0..n).fold(start, |p, _| p.next());
            let current = nth(month + 6);
            let readings: Vec<Reading> = entries
                .iter()
                .map(|(&n, &(litres, void))| {
                    let r = Reading { period: nth(n), ..reading(&a, "2025-01", litres) };
                    if void { voided(r) } else { r }
                })
                .collect();
            let series = ConsumptionSeries::build(current, std::slice::from_ref(&a), &readings);
            let points = &series.meters[0].points;
            prop_assert_eq!(points.len(), SERIES_PERIODS);
            prop_assert_eq!(points[SERIES_PERIODS - 1].period, current);
            for (i, p) in points.iter().enumerate() {
                let live = readings.iter().any(|r| r.period == p.period && r.voided.is_none());
                prop_assert_eq!(p.value.is_some(), live);
                if i > 0 {
                    prop_assert_eq!(p.period, points[i - 1].period.next());
                }
                prop_assert_eq!(p.consumption.is_some(), p.spans_periods.is_some());
                let base = readings
                    .iter()
                    .filter(|r| r.voided.is_none() && r.period < p.period)
                    .max_by_key(|r| r.period);
                match (p.value, base) {
                    (Some(v), Some(base)) if v >= base.value => {
                        prop_assert_eq!(p.consumption, v.since(base.value));
                        prop_assert_eq!(p.spans_periods, Some(p.period.months_since(base.period)));
                    }
                    // No value, no base, or a value below the base: no consumption, not a
                    // negative one.
                    _ => prop_assert_eq!(p.consumption, None),
                }
            }
        }
    }
}
