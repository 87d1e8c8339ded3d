//! `RegistryStore::upsert`: accounts and meters in, idempotent, nothing deleted, meters moved
//! between accounts, the registry's last reading recorded as a `registry` reading.

use vodokanal_app::ports::UpsertCounts;
use vodokanal_domain::{Reading, ReadingSource, RegistryRecord};

use super::{collect, seed_account};
use crate::Stores;
use crate::builders::{self, balance, date, period, value};

/// What the stores say about the accounts and meters of `rows` (meters sorted by number).
async fn snapshot(
    stores: &Stores,
    rows: &[RegistryRecord],
) -> Vec<(Option<vodokanal_domain::Account>, Vec<Reading>)> {
    let mut seen = Vec::new();
    for row in rows {
        let mut account = stores.accounts.find(&row.account_number).await.unwrap();
        if let Some(a) = account.as_mut() {
            a.meters.sort_by(|x, y| x.number.cmp(&y.number));
        }
        let readings = stores
            .readings
            .history(&row.account_number, 100, None)
            .await
            .unwrap();
        seen.push((account, readings));
    }
    seen
}

fn sample_rows() -> Vec<RegistryRecord> {
    let first = builders::fresh_account_number();
    let second = builders::fresh_account_number();
    vec![
        builders::registry_row_with_reading(
            &first,
            &builders::fresh_meter_number(),
            "120.5",
            "2026-10-25",
        ),
        builders::registry_row(&first, &builders::fresh_meter_number()),
        builders::registry_row_with_reading(
            &second,
            &builders::fresh_meter_number(),
            "7",
            "2026-09-30",
        ),
        builders::registry_account(&builders::fresh_account_number()),
    ]
}

pub async fn new_rows_are_inserted(stores: Stores) {
    let rows = sample_rows();
    assert_eq!(
        stores.registry.upsert(&rows).await.unwrap(),
        UpsertCounts {
            inserted: 4,
            updated: 0
        }
    );
    for row in &rows {
        let account = stores
            .accounts
            .find(&row.account_number)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(account.address, row.address);
        assert_eq!(account.balance, row.balance);
        assert_eq!(account.balance_as_of, row.balance_as_of);
        if let Some(meter) = builders::meter_of(row) {
            assert!(account.meters.contains(&meter), "{account:?}");
            let located = stores.meters.find(&meter.number).await.unwrap().unwrap();
            assert_eq!(located.account_number, row.account_number);
        }
    }
    assert_eq!(
        stores
            .accounts
            .find(&rows[0].account_number)
            .await
            .unwrap()
            .unwrap()
            .meters
            .len(),
        2
    );
}

pub async fn an_empty_upsert_counts_nothing(stores: Stores) {
    assert_eq!(
        stores.registry.upsert(&[]).await.unwrap(),
        UpsertCounts::default()
    );
}

pub async fn the_same_rows_twice_update_to_the_same_state(stores: Stores) {
    let rows = sample_rows();
    stores.registry.upsert(&rows).await.unwrap();
    let first = snapshot(&stores, &rows).await;
    assert_eq!(
        stores.registry.upsert(&rows).await.unwrap(),
        UpsertCounts {
            inserted: 0,
            updated: 4
        }
    );
    assert_eq!(snapshot(&stores, &rows).await, first);
}

pub async fn a_known_account_with_a_new_meter_is_updated(stores: Stores) {
    let (account, _) = seed_account(&stores).await;
    let row = RegistryRecord {
        address: "г. Иваново, пр. Ленина, д. 5".into(),
        balance: balance("-300.00"),
        balance_as_of: date("2026-11-30"),
        ..builders::registry_row(&account, &builders::fresh_meter_number())
    };
    assert_eq!(
        stores
            .registry
            .upsert(std::slice::from_ref(&row))
            .await
            .unwrap(),
        UpsertCounts {
            inserted: 0,
            updated: 1
        }
    );
    let found = stores.accounts.find(&account).await.unwrap().unwrap();
    assert_eq!(found.address, row.address);
    assert_eq!(found.balance, balance("-300.00"));
    assert_eq!(found.balance_as_of, date("2026-11-30"));
    assert_eq!(found.meters.len(), 2);
}

pub async fn an_address_with_a_backslash_and_a_tab_is_kept(stores: Stores) {
    let row = RegistryRecord {
        address: "back\\slash\tand tab".into(),
        ..builders::registry_account(&builders::fresh_account_number())
    };
    stores
        .registry
        .upsert(std::slice::from_ref(&row))
        .await
        .unwrap();
    let found = stores
        .accounts
        .find(&row.account_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.address, row.address);
}

pub async fn a_meter_changes_with_the_registry(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let mut row = builders::registry_row(&account, &meter);
    if let Some(m) = row.meter.as_mut() {
        m.service = vodokanal_domain::MeterService::HotWater;
        m.verification_due = None;
    }
    stores
        .registry
        .upsert(std::slice::from_ref(&row))
        .await
        .unwrap();
    assert_eq!(
        stores.meters.find(&meter).await.unwrap().unwrap().meter,
        builders::meter_of(&row).unwrap()
    );
}

pub async fn a_later_registry_without_an_account_keeps_it(stores: Stores) {
    let rows = sample_rows();
    stores.registry.upsert(&rows).await.unwrap();
    let before = snapshot(&stores, &rows).await;
    stores.registry.upsert(&rows[2..]).await.unwrap();
    assert_eq!(snapshot(&stores, &rows).await, before);
}

pub async fn a_meter_listed_under_another_account_moves(stores: Stores) {
    let account = builders::fresh_account_number();
    let meter = builders::fresh_meter_number();
    let kept = builders::fresh_meter_number();
    stores
        .registry
        .upsert(&[
            builders::registry_row(&account, &meter),
            builders::registry_row(&account, &kept),
        ])
        .await
        .unwrap();
    let new_account = builders::fresh_account_number();
    assert_eq!(
        stores
            .registry
            .upsert(&[builders::registry_row(&new_account, &meter)])
            .await
            .unwrap(),
        UpsertCounts {
            inserted: 0,
            updated: 1
        }
    );
    let old = stores.accounts.find(&account).await.unwrap().unwrap();
    assert_eq!(
        old.meters.iter().map(|m| &m.number).collect::<Vec<_>>(),
        vec![&kept]
    );
    let new = stores.accounts.find(&new_account).await.unwrap().unwrap();
    assert_eq!(
        new.meters.iter().map(|m| &m.number).collect::<Vec<_>>(),
        vec![&meter]
    );
}

pub async fn the_last_reading_becomes_a_registry_reading_of_its_period(stores: Stores) {
    let account = builders::fresh_account_number();
    let meter = builders::fresh_meter_number();
    stores
        .registry
        .upsert(&[builders::registry_row_with_reading(
            &account,
            &meter,
            "321.5",
            "2026-10-25",
        )])
        .await
        .unwrap();
    let history = stores.readings.history(&account, 10, None).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    let reading = &history[0];
    assert_eq!(reading.account_number, account);
    assert_eq!(reading.meter_number, meter);
    assert_eq!(reading.value, value("321.5"));
    assert_eq!(reading.period, period("2026-10"));
    assert_eq!(reading.source, ReadingSource::Registry);
    assert_eq!(reading.user_id, None);
    assert_eq!(reading.submitter, None);
    assert!(reading.warnings.is_empty());
    assert_eq!(
        stores
            .readings
            .last_before(&meter, period("2026-11"))
            .await
            .unwrap()
            .as_ref(),
        Some(reading)
    );
    // Registry readings are the billing system's own: never exported back to it.
    assert!(
        collect(stores.readings.export(period("2026-10")))
            .await
            .is_empty()
    );
}

pub async fn a_newer_registry_reading_of_the_period_replaces_the_older(stores: Stores) {
    let account = builders::fresh_account_number();
    let meter = builders::fresh_meter_number();
    stores
        .registry
        .upsert(&[builders::registry_row_with_reading(
            &account,
            &meter,
            "100",
            "2026-10-05",
        )])
        .await
        .unwrap();
    stores
        .registry
        .upsert(&[builders::registry_row_with_reading(
            &account,
            &meter,
            "110",
            "2026-10-25",
        )])
        .await
        .unwrap();
    let history = stores.readings.history(&account, 10, None).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].value, value("110"));
    assert_eq!(history[0].period, period("2026-10"));
    // Another period is another reading.
    stores
        .registry
        .upsert(&[builders::registry_row_with_reading(
            &account,
            &meter,
            "120",
            "2026-11-25",
        )])
        .await
        .unwrap();
    assert_eq!(
        stores
            .readings
            .history(&account, 10, None)
            .await
            .unwrap()
            .len(),
        2
    );
}

pub async fn a_registry_reading_never_replaces_a_subscribers(stores: Stores) {
    let (account, meter) = seed_account(&stores).await;
    let subscribers = builders::reading(&account, &meter, "2026-10", "150");
    stores
        .readings
        .save_all(std::slice::from_ref(&subscribers), None)
        .await
        .unwrap();
    stores
        .registry
        .upsert(&[builders::registry_row_with_reading(
            &account,
            &meter,
            "140",
            "2026-10-25",
        )])
        .await
        .unwrap();
    assert_eq!(
        stores.readings.history(&account, 10, None).await.unwrap(),
        vec![subscribers]
    );
}

pub async fn a_large_registry_goes_in_whole(stores: Stores) {
    // More rows than one multi-row statement takes, accounts with one to three meters.
    let mut rows = Vec::new();
    for i in 0..700 {
        let account = builders::fresh_account_number();
        for _ in 0..=(i % 3) {
            rows.push(builders::registry_row_with_reading(
                &account,
                &builders::fresh_meter_number(),
                "12.345",
                "2026-10-31",
            ));
        }
    }
    let total = u64::try_from(rows.len()).unwrap();
    assert_eq!(
        stores.registry.upsert(&rows).await.unwrap(),
        UpsertCounts {
            inserted: total,
            updated: 0
        }
    );
    for row in rows.iter().step_by(97) {
        let meter = row.meter.as_ref().unwrap();
        let located = stores.meters.find(&meter.number).await.unwrap().unwrap();
        assert_eq!(located.account_number, row.account_number);
        assert_eq!(
            stores
                .readings
                .last_before(&meter.number, period("2026-11"))
                .await
                .unwrap()
                .unwrap()
                .value,
            value("12.345")
        );
    }
    assert_eq!(
        stores.registry.upsert(&rows).await.unwrap(),
        UpsertCounts {
            inserted: 0,
            updated: total
        }
    );
}
