//! `ReadingRepository`: one live reading per meter and period, batches all or none, a
//! subscriber's reading kept from a stranger's, history newest first, the previous period's
//! reading, the export of a period, and the operator's void.

use vodokanal_app::ports::{Claim, Saved};
use vodokanal_domain::{Reading, ReadingSource, ReadingWarning, Voided};

use super::idempotency::{a_write_commits_with_its_answer, retried, started};
use super::{collect, concurrently, import, seed_account, seed_account_with_two_meters, seed_user};
use crate::Stores;
use crate::builders::{self, seconds_from_now, value};

fn by_id(mut readings: Vec<Reading>) -> Vec<Reading> {
    readings.sort_by_key(|r| r.id);
    readings
}

pub async fn a_saved_reading_keeps_every_field(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, cold, hot) = seed_account_with_two_meters(&stores).await;
    let cabinet = Reading {
        previous_value: Some(value("100.5")),
        consumption: Some(value("31.001")),
        warnings: vec![ReadingWarning::ConsumptionUnusuallyHigh],
        user_id: Some(user.id),
        ..builders::reading(&account, &cold, "2026-11", "131.501")
    };
    let anonymous = Reading {
        source: ReadingSource::Anonymous,
        submitter: Some(builders::anonymous_submitter()),
        submitted_at: seconds_from_now(-60),
        ..builders::reading(&account, &hot, "2026-11", "0.001")
    };
    stores
        .readings
        .save_all(&[cabinet.clone(), anonymous.clone()], None)
        .await
        .unwrap();
    let history = stores.readings.history(&account, 10, None).await.unwrap();
    assert_eq!(history, vec![cabinet, anonymous]);
}

pub async fn saving_an_empty_batch_changes_nothing(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    stores.readings.save_all(&[], None).await.unwrap();
    assert!(
        stores
            .readings
            .history(&account, 10, None)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn a_second_reading_of_the_period_replaces_the_first(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let first = builders::reading(&account, &meter, "2026-11", "10");
    let earlier_period = builders::reading(&account, &meter, "2026-10", "5");
    stores
        .readings
        .save_all(&[first.clone(), earlier_period.clone()], None)
        .await
        .unwrap();
    let second = Reading {
        submitted_at: seconds_from_now(3600),
        previous_value: Some(value("5")),
        consumption: Some(value("7")),
        ..builders::reading(&account, &meter, "2026-11", "12")
    };
    stores
        .readings
        .save_all(std::slice::from_ref(&second), None)
        .await
        .unwrap();
    let history = stores.readings.history(&account, 10, None).await.unwrap();
    assert_eq!(by_id(history), by_id(vec![second, earlier_period]));
}

pub async fn a_batch_with_one_bad_reading_stores_none(stores: Stores) {
    let (account, first, second) = seed_account_with_two_meters(&stores).await;
    let kept = builders::reading(&account, &first, "2026-10", "1");
    stores
        .readings
        .save_all(std::slice::from_ref(&kept), None)
        .await
        .unwrap();
    let batch = [
        builders::reading(&account, &first, "2026-11", "2"),
        builders::reading(&account, &second, "2026-11", "3"),
        // Its meter does not exist: a foreign key the store refuses.
        builders::reading(&account, &builders::fresh_meter_number(), "2026-11", "4"),
    ];
    assert!(stores.readings.save_all(&batch, None).await.is_err());
    assert_eq!(
        stores.readings.history(&account, 10, None).await.unwrap(),
        vec![kept]
    );
    // The store still works after the failed transaction.
    stores.readings.save_all(&batch[..2], None).await.unwrap();
    assert_eq!(
        stores
            .readings
            .history(&account, 10, None)
            .await
            .unwrap()
            .len(),
        3
    );
}

pub async fn a_batch_replacing_an_earlier_reading_is_rolled_back_whole(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let first = builders::reading(&account, &meter, "2026-11", "10");
    stores
        .readings
        .save_all(std::slice::from_ref(&first), None)
        .await
        .unwrap();
    let batch = [
        builders::reading(&account, &meter, "2026-11", "20"),
        builders::reading(&account, &builders::fresh_meter_number(), "2026-11", "4"),
    ];
    assert!(stores.readings.save_all(&batch, None).await.is_err());
    assert_eq!(
        stores.readings.history(&account, 10, None).await.unwrap(),
        vec![first]
    );
}

pub async fn concurrent_saves_of_one_meter_and_period_leave_one_reading(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let candidates: Vec<Reading> = (0..8)
        .map(|i| Reading {
            submitted_at: seconds_from_now(i),
            ..builders::reading(&account, &meter, "2026-11", &format!("{}", 10 + i))
        })
        .collect();
    let results = concurrently(candidates.len(), |i| {
        let readings = stores.readings.clone();
        let reading = candidates[i].clone();
        async move { readings.save_all(&[reading], None).await }
    })
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let history = stores.readings.history(&account, 100, None).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert!(candidates.contains(&history[0]));
}

pub async fn concurrent_batches_of_different_meters_all_commit(stores: Stores) {
    let (account, first, second) = seed_account_with_two_meters(&stores).await;
    let periods = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"];
    let results = concurrently(periods.len(), |i| {
        let readings = stores.readings.clone();
        let batch = [
            builders::reading(&account, &first, periods[i], "1"),
            builders::reading(&account, &second, periods[i], "2"),
        ];
        async move { readings.save_all(&batch, None).await }
    })
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(
        stores
            .readings
            .history(&account, 100, None)
            .await
            .unwrap()
            .len(),
        10
    );
}

pub async fn history_is_newest_first_and_limited(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let readings: Vec<Reading> = ["2026-07", "2026-09", "2026-08", "2026-10"]
        .into_iter()
        .enumerate()
        .map(|(i, period)| Reading {
            submitted_at: seconds_from_now(i64::try_from(i).unwrap() * 100),
            ..builders::reading(&account, &meter, period, "1")
        })
        .collect();
    stores.readings.save_all(&readings, None).await.unwrap();
    let newest_first: Vec<Reading> = readings.iter().rev().cloned().collect();
    assert_eq!(
        stores.readings.history(&account, 10, None).await.unwrap(),
        newest_first
    );
    assert_eq!(
        stores.readings.history(&account, 2, None).await.unwrap(),
        newest_first[..2].to_vec()
    );
}

pub async fn history_before_pages_back(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let readings: Vec<Reading> = ["2026-08", "2026-09", "2026-10"]
        .into_iter()
        .enumerate()
        .map(|(i, period)| Reading {
            submitted_at: seconds_from_now(i64::try_from(i).unwrap() * 100),
            ..builders::reading(&account, &meter, period, "1")
        })
        .collect();
    stores.readings.save_all(&readings, None).await.unwrap();
    // `before` is exclusive.
    assert_eq!(
        stores
            .readings
            .history(&account, 10, Some(readings[2].submitted_at))
            .await
            .unwrap(),
        vec![readings[1].clone(), readings[0].clone()]
    );
    assert_eq!(
        stores
            .readings
            .history(&account, 1, Some(seconds_from_now(150)))
            .await
            .unwrap(),
        vec![readings[1].clone()]
    );
    assert!(
        stores
            .readings
            .history(&account, 10, Some(readings[0].submitted_at))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn history_holds_only_the_accounts_readings(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let (other, others_meter) = seed_account(&stores).await;
    let mine = builders::reading(&account, &meter, "2026-11", "1");
    stores
        .readings
        .save_all(
            &[
                mine.clone(),
                builders::reading(&other, &others_meter, "2026-11", "2"),
            ],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        stores.readings.history(&account, 10, None).await.unwrap(),
        vec![mine]
    );
    assert!(
        stores
            .readings
            .history(&builders::fresh_account_number(), 10, None)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn last_before_is_the_latest_earlier_period(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let (_, other_meter) = seed_account(&stores).await;
    // Submitted in an order unlike the periods', so the period decides, not the time.
    let august = Reading {
        submitted_at: seconds_from_now(300),
        ..builders::reading(&account, &meter, "2026-08", "8")
    };
    let september = Reading {
        submitted_at: seconds_from_now(100),
        ..builders::reading(&account, &meter, "2026-09", "9")
    };
    let november = builders::reading(&account, &meter, "2026-11", "11");
    let december = builders::reading(&account, &meter, "2026-12", "12");
    stores
        .readings
        .save_all(
            &[
                august,
                september.clone(),
                november.clone(),
                december,
                builders::reading(&account, &other_meter, "2026-10", "99"),
            ],
            None,
        )
        .await
        .unwrap();
    let period = builders::period("2026-11");
    assert_eq!(
        stores.readings.last_before(&meter, period).await.unwrap(),
        Some(september)
    );
    assert_eq!(
        stores
            .readings
            .last_before(&meter, builders::period("2026-12"))
            .await
            .unwrap(),
        Some(november)
    );
}

pub async fn last_before_without_an_earlier_reading_is_none(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    stores
        .readings
        .save_all(&[builders::reading(&account, &meter, "2026-11", "1")], None)
        .await
        .unwrap();
    assert_eq!(
        stores
            .readings
            .last_before(&meter, builders::period("2026-11"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores
            .readings
            .last_before(&builders::fresh_meter_number(), builders::period("2027-01"))
            .await
            .unwrap(),
        None
    );
}

pub async fn last_before_counts_the_registrys_reading(stores: Stores) {
    let account = builders::fresh_account_number();
    let meter = builders::fresh_meter_number();
    import(
        &stores,
        &[builders::registry_row_with_reading(
            &account,
            &meter,
            "321.5",
            "2026-10-25",
        )],
    )
    .await;
    let last = stores
        .readings
        .last_before(&meter, builders::period("2026-11"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.value, value("321.5"));
    assert_eq!(last.source, ReadingSource::Registry);
    assert_eq!(last.period, builders::period("2026-10"));
}

pub async fn last_before_each_is_each_meters_latest_earlier_live_period(stores: Stores) {
    let (account, cold, hot) = seed_account_with_two_meters(&stores).await;
    let (other, registry_meter) = (
        builders::fresh_account_number(),
        builders::fresh_meter_number(),
    );
    import(
        &stores,
        &[builders::registry_row_with_reading(
            &other,
            &registry_meter,
            "321.5",
            "2026-10-25",
        )],
    )
    .await;
    let (_, without) = seed_account(&stores).await;
    let readings = [
        builders::reading(&account, &cold, "2026-09", "1"),
        builders::reading(&account, &cold, "2026-10", "2"),
        builders::reading(&account, &cold, "2026-11", "3"),
        builders::reading(&account, &hot, "2026-08", "4"),
        builders::reading(&account, &hot, "2026-10", "5"),
    ];
    stores.readings.save_all(&readings, None).await.unwrap();
    // The hot meter's October reading is voided: August is its base again.
    let voided = void_by_operator(30);
    stores
        .readings
        .void(&hot, builders::period("2026-10"), &voided)
        .await
        .unwrap();
    let mut found: Vec<_> = stores
        .readings
        .last_before_each(
            &[cold.clone(), hot.clone(), registry_meter.clone(), without],
            builders::period("2026-11"),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.meter_number, r.period, r.value))
        .collect();
    found.sort();
    let mut expected = vec![
        (cold.clone(), builders::period("2026-10"), value("2")),
        (hot.clone(), builders::period("2026-08"), value("4")),
        (registry_meter, builders::period("2026-10"), value("321.5")),
    ];
    expected.sort();
    assert_eq!(found, expected);
    for meter in [&cold, &hot] {
        let one = stores
            .readings
            .last_before(meter, builders::period("2026-11"))
            .await
            .unwrap();
        let each = stores
            .readings
            .last_before_each(std::slice::from_ref(meter), builders::period("2026-11"))
            .await
            .unwrap();
        assert_eq!(
            each,
            one.into_iter().collect::<Vec<_>>(),
            "one meter: as last_before"
        );
    }
    assert_eq!(
        stores
            .readings
            .last_before_each(&[], builders::period("2026-11"))
            .await
            .unwrap(),
        vec![]
    );
}

pub async fn live_since_each_is_the_meters_live_readings_from_the_period_on(stores: Stores) {
    let (account, cold, hot) = seed_account_with_two_meters(&stores).await;
    let (other_account, other_meter) = seed_account(&stores).await;
    let (registry_account, registry_meter) = (
        builders::fresh_account_number(),
        builders::fresh_meter_number(),
    );
    import(
        &stores,
        &[builders::registry_row_with_reading(
            &registry_account,
            &registry_meter,
            "321.5",
            "2026-03-25",
        )],
    )
    .await;
    let readings = [
        builders::reading(&account, &cold, "2026-01", "1"),
        builders::reading(&account, &cold, "2026-02", "2"),
        builders::reading(&account, &cold, "2026-12", "3"),
        builders::reading(&account, &hot, "2026-05", "4"),
        builders::reading(&account, &hot, "2026-06", "5"),
        builders::reading(&other_account, &other_meter, "2026-06", "6"),
    ];
    stores.readings.save_all(&readings, None).await.unwrap();
    // The hot meter's June reading is voided: it is not live.
    stores
        .readings
        .void(&hot, builders::period("2026-06"), &void_by_operator(30))
        .await
        .unwrap();
    let mut found: Vec<_> = stores
        .readings
        .live_since_each(
            &[cold.clone(), hot.clone(), registry_meter.clone()],
            builders::period("2026-02"),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.meter_number, r.period, r.value))
        .collect();
    found.sort();
    // From February inclusive; January before the bound, the voided June and the other
    // account's meter left out; the registry's reading counts.
    let mut expected = vec![
        (cold.clone(), builders::period("2026-02"), value("2")),
        (cold.clone(), builders::period("2026-12"), value("3")),
        (hot.clone(), builders::period("2026-05"), value("4")),
        (registry_meter, builders::period("2026-03"), value("321.5")),
    ];
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(
        stores
            .readings
            .live_since_each(&[cold], builders::period("2026-12"))
            .await
            .unwrap(),
        vec![readings[2].clone()],
        "the bound is inclusive and the reading whole"
    );
    assert_eq!(
        stores
            .readings
            .live_since_each(&[], builders::period("2026-01"))
            .await
            .unwrap(),
        vec![]
    );
}

pub async fn the_export_holds_the_periods_subscriber_readings(stores: Stores) {
    let account = builders::fresh_account_number();
    let meter = builders::fresh_meter_number();
    let second_meter = builders::fresh_meter_number();
    import(
        &stores,
        &[
            builders::registry_row_with_reading(&account, &meter, "5", "2026-11-02"),
            builders::registry_row(&account, &second_meter),
        ],
    )
    .await;
    let (other, others_meter) = seed_account(&stores).await;
    let anonymous = Reading {
        source: ReadingSource::Anonymous,
        submitter: Some(builders::anonymous_submitter()),
        ..builders::reading(&account, &second_meter, "2026-11", "7")
    };
    let cabinet = Reading {
        submitted_at: seconds_from_now(10),
        ..builders::reading(&other, &others_meter, "2026-11", "8")
    };
    let october = builders::reading(&other, &others_meter, "2026-10", "6");
    stores
        .readings
        .save_all(&[anonymous.clone(), cabinet.clone(), october], None)
        .await
        .unwrap();
    let exported = collect(stores.readings.export(builders::period("2026-11"))).await;
    assert_eq!(by_id(exported), by_id(vec![anonymous, cabinet]));
    assert!(
        collect(stores.readings.export(builders::period("2025-11")))
            .await
            .is_empty()
    );
    // The count (the export's progress) is what the export streams.
    let count = async |period: &str| {
        stores
            .readings
            .export_count(builders::period(period))
            .await
            .unwrap()
    };
    assert_eq!(count("2026-11").await, 2);
    assert_eq!(count("2026-10").await, 1);
    assert_eq!(count("2025-11").await, 0);
}

pub async fn last_for_meter_is_the_latest_period_of_that_meter(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let (other_account, other_meter) = seed_account(&stores).await;
    assert_eq!(stores.readings.last_for_meter(&meter).await.unwrap(), None);
    let october = Reading {
        submitted_at: seconds_from_now(500),
        ..builders::reading(&account, &meter, "2026-10", "10")
    };
    let november = builders::reading(&account, &meter, "2026-11", "11");
    stores
        .readings
        .save_all(
            &[
                november.clone(),
                october,
                builders::reading(&other_account, &other_meter, "2026-12", "99"),
            ],
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        stores.readings.last_for_meter(&meter).await.unwrap(),
        Some(november)
    );
}

/// A reading of `source` (with the submitter an anonymous one carries).
fn from_source(reading: Reading, source: ReadingSource) -> Reading {
    Reading {
        source,
        submitter: (source == ReadingSource::Anonymous).then(builders::anonymous_submitter),
        ..reading
    }
}

fn void_by_operator(seconds: i64) -> Voided {
    Voided {
        at: seconds_from_now(seconds),
        reason: "показание передал посторонний".parse().unwrap(),
    }
}

pub async fn save_keeps_a_subscribers_reading_as_the_rule_says(stores: Stores) {
    use ReadingSource::{Anonymous, Cabinet, Registry};
    let (account, meter) = seed_account(&stores).await;
    let free = from_source(
        builders::reading(&account, &meter, "2026-01", "1"),
        Anonymous,
    );
    assert_eq!(
        stores.readings.save(&free, None).await.unwrap(),
        Saved::Stored
    );
    for (i, (existing, new)) in [Cabinet, Anonymous, Registry]
        .into_iter()
        .flat_map(|existing| [Cabinet, Anonymous, Registry].map(|new| (existing, new)))
        .enumerate()
    {
        let period = format!("2026-{:02}", i + 2);
        let first = from_source(builders::reading(&account, &meter, &period, "5"), existing);
        stores
            .readings
            .save_all(std::slice::from_ref(&first), None)
            .await
            .unwrap();
        let second = Reading {
            submitted_at: seconds_from_now(60),
            ..from_source(builders::reading(&account, &meter, &period, "6"), new)
        };
        let expected = if new.replaces(existing) {
            Saved::Stored
        } else {
            Saved::NotReplaced
        };
        assert_eq!(
            stores.readings.save(&second, None).await.unwrap(),
            expected,
            "{new:?} over {existing:?}"
        );
        let live = stores
            .readings
            .last_before(&meter, builders::period(&format!("2026-{:02}", i + 3)))
            .await
            .unwrap();
        let kept = if expected == Saved::Stored {
            second
        } else {
            first
        };
        assert_eq!(live, Some(kept), "{new:?} over {existing:?}");
    }
}

pub async fn concurrent_anonymous_and_cabinet_readings_leave_the_cabinets(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let candidates: Vec<Reading> = (0..8)
        .map(|i| {
            let source = if i % 2 == 0 {
                ReadingSource::Anonymous
            } else {
                ReadingSource::Cabinet
            };
            Reading {
                submitted_at: seconds_from_now(i),
                ..from_source(
                    builders::reading(&account, &meter, "2026-11", &format!("{}", 10 + i)),
                    source,
                )
            }
        })
        .collect();
    let results = concurrently(candidates.len(), |i| {
        let readings = stores.readings.clone();
        let reading = candidates[i].clone();
        async move {
            if reading.source == ReadingSource::Cabinet {
                readings
                    .save_all(&[reading], None)
                    .await
                    .map(|()| Saved::Stored)
            } else {
                readings.save(&reading, None).await
            }
        }
    })
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let history = stores.readings.history(&account, 100, None).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].source, ReadingSource::Cabinet, "{history:?}");
    assert!(candidates.contains(&history[0]));
}

pub async fn a_voided_reading_stays_in_the_history_and_leaves_the_base(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let september = builders::reading(&account, &meter, "2026-09", "100");
    let poisoned = Reading {
        submitted_at: seconds_from_now(60),
        ..from_source(
            builders::reading(&account, &meter, "2026-10", "999999.999"),
            ReadingSource::Anonymous,
        )
    };
    stores
        .readings
        .save_all(&[september.clone(), poisoned.clone()], None)
        .await
        .unwrap();
    let how = void_by_operator(120);
    let voided = Reading {
        voided: Some(how.clone()),
        ..poisoned
    };
    assert_eq!(
        stores
            .readings
            .void(&meter, builders::period("2026-10"), &how)
            .await
            .unwrap(),
        Some(voided.clone())
    );
    assert_eq!(
        stores.readings.history(&account, 10, None).await.unwrap(),
        vec![voided, september.clone()]
    );
    assert_eq!(
        stores
            .readings
            .last_before(&meter, builders::period("2026-11"))
            .await
            .unwrap(),
        Some(september.clone())
    );
    assert_eq!(
        stores.readings.last_for_meter(&meter).await.unwrap(),
        Some(september)
    );
    assert!(
        collect(stores.readings.export(builders::period("2026-10")))
            .await
            .is_empty()
    );
}

pub async fn voiding_frees_the_period_for_a_new_reading(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let november = builders::period("2026-11");
    let first = from_source(
        builders::reading(&account, &meter, "2026-11", "500"),
        ReadingSource::Cabinet,
    );
    stores
        .readings
        .save_all(std::slice::from_ref(&first), None)
        .await
        .unwrap();
    let how = void_by_operator(10);
    stores
        .readings
        .void(&meter, november, &how)
        .await
        .unwrap()
        .unwrap();
    // The voided cabinet reading no longer stands in a stranger's way.
    let anonymous = Reading {
        submitted_at: seconds_from_now(20),
        ..from_source(
            builders::reading(&account, &meter, "2026-11", "12"),
            ReadingSource::Anonymous,
        )
    };
    assert_eq!(
        stores.readings.save(&anonymous, None).await.unwrap(),
        Saved::Stored
    );
    let cabinet = Reading {
        submitted_at: seconds_from_now(30),
        ..builders::reading(&account, &meter, "2026-11", "13")
    };
    stores
        .readings
        .save_all(std::slice::from_ref(&cabinet), None)
        .await
        .unwrap();
    let voided = Reading {
        voided: Some(how),
        ..first
    };
    assert_eq!(
        stores.readings.history(&account, 10, None).await.unwrap(),
        vec![cabinet.clone(), voided.clone()]
    );
    assert_eq!(
        collect(stores.readings.export(november)).await,
        vec![cabinet]
    );
    // Only the live reading is voided again, and then there is none.
    let again = void_by_operator(40);
    let second = stores
        .readings
        .void(&meter, november, &again)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.value, value("13"));
    assert_eq!(second.voided, Some(again.clone()));
    assert_eq!(
        stores
            .readings
            .void(&meter, november, &again)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores.readings.history(&account, 10, None).await.unwrap(),
        vec![second, voided]
    );
}

pub async fn voiding_a_missing_reading_is_none(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    stores
        .readings
        .save_all(&[builders::reading(&account, &meter, "2026-10", "1")], None)
        .await
        .unwrap();
    let how = void_by_operator(0);
    assert_eq!(
        stores
            .readings
            .void(&meter, builders::period("2026-11"), &how)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores
            .readings
            .void(
                &builders::fresh_meter_number(),
                builders::period("2026-10"),
                &how
            )
            .await
            .unwrap(),
        None
    );
    assert!(
        stores
            .readings
            .history(&account, 10, None)
            .await
            .unwrap()
            .iter()
            .all(|r| r.voided.is_none())
    );
}

pub async fn the_registry_fills_a_period_whose_reading_was_voided(stores: Stores) {
    let account = builders::fresh_account_number();
    let meter = builders::fresh_meter_number();
    let row = builders::registry_row_with_reading(&account, &meter, "321.5", "2026-10-25");
    import(&stores, std::slice::from_ref(&row)).await;
    let how = void_by_operator(0);
    let voided = stores
        .readings
        .void(&meter, builders::period("2026-10"), &how)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(voided.source, ReadingSource::Registry);
    assert_eq!(
        stores
            .readings
            .last_before(&meter, builders::period("2026-11"))
            .await
            .unwrap(),
        None
    );
    import(&stores, &[row]).await;
    let live = stores
        .readings
        .last_before(&meter, builders::period("2026-11"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live.value, value("321.5"));
    assert_eq!(live.voided, None);
}

/// The reading of `meter` in the `n`-th month of 2026, from `source`.
fn monthly(
    account: &vodokanal_domain::AccountNumber,
    meter: &vodokanal_domain::MeterNumber,
    n: u8,
    source: ReadingSource,
) -> Reading {
    from_source(
        builders::reading(account, meter, &format!("2026-{n:02}"), "1"),
        source,
    )
}

/// Whether the meter has a live reading of the `n`-th month of 2026.
async fn has_month(stores: &Stores, meter: &vodokanal_domain::MeterNumber, n: u8) -> bool {
    stores
        .readings
        .last_before(meter, builders::period(&format!("2026-{:02}", n + 1)))
        .await
        .unwrap()
        .is_some_and(|reading| reading.period == builders::period(&format!("2026-{n:02}")))
}

pub async fn a_batch_commits_with_its_answer(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    a_write_commits_with_its_answer(
        &stores,
        |answer, n| {
            let stores = stores.clone();
            let reading = monthly(&account, &meter, n, ReadingSource::Cabinet);
            async move { stores.readings.save_all(&[reading], answer).await }
        },
        |n| has_month(&stores, &meter, n),
    )
    .await;
}

pub async fn an_anonymous_reading_commits_with_its_answer(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    a_write_commits_with_its_answer(
        &stores,
        |answer, n| {
            let stores = stores.clone();
            let reading = monthly(&account, &meter, n, ReadingSource::Anonymous);
            async move {
                let saved = stores.readings.save(&reading, answer).await?;
                assert_eq!(saved, Saved::Stored);
                Ok(())
            }
        },
        |n| has_month(&stores, &meter, n),
    )
    .await;
    // A reading not stored stores no answer: the claim stays open for the client's retry.
    let cabinet = monthly(&account, &meter, 7, ReadingSource::Cabinet);
    stores.readings.save_all(&[cabinet], None).await.unwrap();
    let claim = started(&stores, "refused").await;
    let refused = monthly(&account, &meter, 7, ReadingSource::Anonymous);
    assert_eq!(
        stores
            .readings
            .save(&refused, Some(builders::answer(&claim, 201, "{}")))
            .await,
        Ok(Saved::NotReplaced)
    );
    assert_eq!(retried(&stores, "refused").await, Claim::InProgress);
}
