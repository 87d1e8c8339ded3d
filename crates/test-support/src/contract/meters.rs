//! `MeterRepository`: a meter by its registry-wide unique number, with its account.

use vodokanal_app::ports::LocatedMeter;

use super::{import, seed_account};
use crate::Stores;
use crate::builders;

pub async fn a_meter_is_found_with_its_account(stores: Stores) {
    let account = builders::fresh_account_number();
    let meter = builders::fresh_meter_number();
    let row = builders::registry_row(&account, &meter);
    import(&stores, std::slice::from_ref(&row)).await;
    assert_eq!(
        stores.meters.find(&meter).await.unwrap(),
        Some(LocatedMeter {
            account_number: account,
            meter: builders::meter_of(&row).unwrap(),
        })
    );
}

pub async fn an_unknown_meter_is_not_found(stores: Stores) {
    seed_account(&stores).await;
    assert_eq!(
        stores
            .meters
            .find(&builders::fresh_meter_number())
            .await
            .unwrap(),
        None
    );
}

pub async fn a_moved_meter_is_found_under_its_new_account(stores: Stores) {
    let (old_account, meter) = seed_account(&stores).await;
    let new_account = builders::fresh_account_number();
    import(&stores, &[builders::registry_row(&new_account, &meter)]).await;
    let found = stores.meters.find(&meter).await.unwrap().unwrap();
    assert_eq!(found.account_number, new_account);
    assert!(
        stores
            .accounts
            .find(&old_account)
            .await
            .unwrap()
            .unwrap()
            .meters
            .is_empty()
    );
    assert_eq!(
        stores
            .accounts
            .find(&new_account)
            .await
            .unwrap()
            .unwrap()
            .meters,
        vec![found.meter]
    );
}
