//! `AccountRepository`: the registry's accounts with their meters, and users' links to them.

use vodokanal_app::ports::{LinkError, LinkNotice, SmsPurpose, SmsState};
use vodokanal_domain::{Account, Label, RegistryRecord};

use super::{concurrently, import, seed_account, seed_account_with_two_meters, seed_user};
use crate::Stores;
use crate::builders::{self, seconds_from_now};

#[expect(clippy::unnecessary_wraps, reason = "a label as the ports take it")]
fn label(text: &str) -> Option<Label> {
    Some(text.parse().unwrap())
}

fn sorted_meters(mut account: Account) -> Account {
    account.meters.sort_by(|a, b| a.number.cmp(&b.number));
    account
}

pub async fn an_account_is_found_with_its_meters(stores: Stores) {
    let account = builders::fresh_account_number();
    let cold = builders::fresh_meter_number();
    let hot = builders::fresh_meter_number();
    let first = builders::registry_row(&account, &cold);
    let mut second = builders::registry_row(&account, &hot);
    if let Some(meter) = second.meter.as_mut() {
        meter.service = vodokanal_domain::MeterService::HotWater;
        meter.verification_due = None;
    }
    import(&stores, &[first.clone(), second.clone()]).await;
    let found = stores.accounts.find(&account).await.unwrap().unwrap();
    let expected = Account {
        number: account.clone(),
        address: first.address.clone(),
        balance: first.balance,
        balance_as_of: first.balance_as_of,
        meters: vec![
            builders::meter_of(&first).unwrap(),
            builders::meter_of(&second).unwrap(),
        ],
    };
    assert_eq!(sorted_meters(found), sorted_meters(expected));
}

pub async fn an_account_without_meters_is_found(stores: Stores) {
    let account = builders::fresh_account_number();
    let row = RegistryRecord {
        balance: builders::balance("-10.05"),
        ..builders::registry_account(&account)
    };
    import(&stores, std::slice::from_ref(&row)).await;
    let found = stores.accounts.find(&account).await.unwrap().unwrap();
    assert_eq!(found.balance, builders::balance("-10.05"));
    assert_eq!(found.address, row.address);
    assert!(found.meters.is_empty());
}

pub async fn an_unknown_account_is_not_found(stores: Stores) {
    seed_account(&stores).await;
    assert_eq!(
        stores
            .accounts
            .find(&builders::fresh_account_number())
            .await
            .unwrap(),
        None
    );
}

pub async fn a_linked_account_is_listed_with_its_label(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, meter) = seed_account(&stores).await;
    stores
        .accounts
        .link(user.id, &account, label("Дача"), builders::now(), None)
        .await
        .unwrap();
    let linked = stores.accounts.linked(user.id).await.unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].account.number, account);
    assert_eq!(linked[0].account.meters[0].number, meter);
    assert_eq!(linked[0].label, label("Дача"));
    assert_eq!(linked[0].linked_at, builders::now());
    assert_eq!(
        stores.accounts.linked_one(user.id, &account).await.unwrap(),
        Some(linked[0].clone())
    );
}

pub async fn linked_accounts_come_in_the_order_they_were_linked(stores: Stores) {
    let user = seed_user(&stores).await;
    let (first, _) = seed_account(&stores).await;
    let (second, _) = seed_account(&stores).await;
    let (third, _) = seed_account(&stores).await;
    for (i, account) in [&second, &third, &first].into_iter().enumerate() {
        stores
            .accounts
            .link(
                user.id,
                account,
                None,
                seconds_from_now(i64::try_from(i).unwrap() * 60),
                None,
            )
            .await
            .unwrap();
    }
    let numbers: Vec<_> = stores
        .accounts
        .linked(user.id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.account.number)
        .collect();
    assert_eq!(numbers, vec![second, third, first]);
}

pub async fn links_are_per_user(stores: Stores) {
    let user = seed_user(&stores).await;
    let other = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    let (others_account, _) = seed_account(&stores).await;
    stores
        .accounts
        .link(user.id, &account, None, builders::now(), None)
        .await
        .unwrap();
    stores
        .accounts
        .link(other.id, &others_account, None, builders::now(), None)
        .await
        .unwrap();
    assert_eq!(
        stores
            .accounts
            .linked_one(user.id, &others_account)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        stores
            .accounts
            .linked_one(other.id, &account)
            .await
            .unwrap(),
        None
    );
    assert!(
        stores
            .accounts
            .linked(builders::user_id())
            .await
            .unwrap()
            .is_empty()
    );
    // The same account may be linked by two users.
    stores
        .accounts
        .link(other.id, &account, label("Мамина"), builders::now(), None)
        .await
        .unwrap();
    assert_eq!(stores.accounts.linked(other.id).await.unwrap().len(), 2);
    assert_eq!(
        stores
            .accounts
            .linked_one(user.id, &account)
            .await
            .unwrap()
            .unwrap()
            .label,
        None
    );
}

pub async fn linking_twice_is_already_linked(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    stores
        .accounts
        .link(user.id, &account, label("Дом"), builders::now(), None)
        .await
        .unwrap();
    assert_eq!(
        stores
            .accounts
            .link(
                user.id,
                &account,
                label("Другое"),
                seconds_from_now(10),
                None
            )
            .await,
        Err(LinkError::AlreadyLinked)
    );
    let linked = stores.accounts.linked(user.id).await.unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].label, label("Дом"));
    assert_eq!(linked[0].linked_at, builders::now());
}

pub async fn linking_an_unknown_account_fails(stores: Stores) {
    let user = seed_user(&stores).await;
    let outcome = stores
        .accounts
        .link(
            user.id,
            &builders::fresh_account_number(),
            None,
            builders::now(),
            None,
        )
        .await;
    assert!(matches!(outcome, Err(LinkError::Store(_))), "{outcome:?}");
    assert!(stores.accounts.linked(user.id).await.unwrap().is_empty());
}

pub async fn concurrent_links_of_one_account_link_it_once(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    let results = concurrently(6, |_| {
        let accounts = stores.accounts.clone();
        let account = account.clone();
        async move {
            accounts
                .link(user.id, &account, None, builders::now(), None)
                .await
        }
    })
    .await;
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(
        results
            .iter()
            .all(|r| matches!(r, Ok(()) | Err(LinkError::AlreadyLinked))),
        "{results:?}"
    );
    assert_eq!(stores.accounts.linked(user.id).await.unwrap().len(), 1);
}

pub async fn relabel_changes_and_clears_the_label(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    stores
        .accounts
        .link(user.id, &account, None, builders::now(), None)
        .await
        .unwrap();
    assert!(
        stores
            .accounts
            .relabel(user.id, &account, label("Квартира"))
            .await
            .unwrap()
    );
    let linked = stores
        .accounts
        .linked_one(user.id, &account)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.label, label("Квартира"));
    assert_eq!(linked.linked_at, builders::now());
    assert!(
        stores
            .accounts
            .relabel(user.id, &account, None)
            .await
            .unwrap()
    );
    assert_eq!(
        stores
            .accounts
            .linked_one(user.id, &account)
            .await
            .unwrap()
            .unwrap()
            .label,
        None
    );
}

pub async fn relabel_of_an_unlinked_account_is_false(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    assert!(
        !stores
            .accounts
            .relabel(user.id, &account, label("Чужой"))
            .await
            .unwrap()
    );
    assert_eq!(
        stores.accounts.linked_one(user.id, &account).await.unwrap(),
        None
    );
}

pub async fn unlink_removes_the_link_once(stores: Stores) {
    let user = seed_user(&stores).await;
    let (account, _, _) = seed_account_with_two_meters(&stores).await;
    let (kept, _) = seed_account(&stores).await;
    for number in [&account, &kept] {
        stores
            .accounts
            .link(user.id, number, None, builders::now(), None)
            .await
            .unwrap();
    }
    assert!(stores.accounts.unlink(user.id, &account).await.unwrap());
    assert!(!stores.accounts.unlink(user.id, &account).await.unwrap());
    let linked = stores.accounts.linked(user.id).await.unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].account.number, kept);
    // The account itself stays, and can be linked again.
    assert_eq!(
        stores
            .accounts
            .find(&account)
            .await
            .unwrap()
            .unwrap()
            .meters
            .len(),
        2
    );
    stores
        .accounts
        .link(user.id, &account, None, seconds_from_now(5), None)
        .await
        .unwrap();
}

fn notice() -> LinkNotice {
    LinkNotice {
        text: "К лицевому счёту 100001 привязан новый профиль. Если это не вы, позвоните \
               +7 (4932) 93-01-08."
            .into(),
        created_at: builders::now(),
        expires_at: seconds_from_now(86_400),
    }
}

pub async fn linking_with_a_notice_queues_it_for_every_other_holder(stores: Stores) {
    let first = seed_user(&stores).await;
    let second = seed_user(&stores).await;
    let newcomer = seed_user(&stores).await;
    let stranger = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    let (other_account, _) = seed_account(&stores).await;
    for user in [&first, &second] {
        stores
            .accounts
            .link(user.id, &account, None, builders::now(), None)
            .await
            .unwrap();
    }
    stores
        .accounts
        .link(stranger.id, &other_account, None, builders::now(), None)
        .await
        .unwrap();

    stores
        .accounts
        .link(
            newcomer.id,
            &account,
            None,
            seconds_from_now(5),
            Some(notice()),
        )
        .await
        .unwrap();

    for holder in [&first, &second] {
        let queued = stores.outbox.to_phone(&holder.phone).await.unwrap();
        assert_eq!(queued.len(), 1, "{queued:?}");
        assert_eq!(queued[0].text, notice().text);
        assert_eq!(queued[0].purpose, SmsPurpose::AccountLinked);
        assert_eq!(queued[0].state, SmsState::Pending);
        assert_eq!(queued[0].client_ip, None);
        assert_eq!(queued[0].next_attempt_at, builders::now());
        assert_eq!(queued[0].expires_at, seconds_from_now(86_400));
    }
    // Not the newcomer, nor a holder of another account.
    for user in [&newcomer, &stranger] {
        assert!(
            stores
                .outbox
                .to_phone(&user.phone)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

pub async fn a_refused_link_queues_no_notice(stores: Stores) {
    let holder = seed_user(&stores).await;
    let user = seed_user(&stores).await;
    let (account, _) = seed_account(&stores).await;
    for who in [&holder, &user] {
        stores
            .accounts
            .link(who.id, &account, None, builders::now(), None)
            .await
            .unwrap();
    }
    assert_eq!(
        stores
            .accounts
            .link(user.id, &account, None, seconds_from_now(5), Some(notice()))
            .await,
        Err(LinkError::AlreadyLinked)
    );
    assert!(
        stores
            .outbox
            .to_phone(&holder.phone)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn other_holders_counts_the_other_profiles_of_the_account(stores: Stores) {
    let users = [
        seed_user(&stores).await,
        seed_user(&stores).await,
        seed_user(&stores).await,
    ];
    let (account, _) = seed_account(&stores).await;
    let (other_account, _) = seed_account(&stores).await;
    assert_eq!(
        stores
            .accounts
            .other_holders(users[0].id, &account)
            .await
            .unwrap(),
        0
    );
    for user in &users {
        stores
            .accounts
            .link(user.id, &account, None, builders::now(), None)
            .await
            .unwrap();
    }
    stores
        .accounts
        .link(users[0].id, &other_account, None, builders::now(), None)
        .await
        .unwrap();
    assert_eq!(
        stores
            .accounts
            .other_holders(users[0].id, &account)
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        stores
            .accounts
            .other_holders(users[1].id, &other_account)
            .await
            .unwrap(),
        1
    );
    stores.accounts.unlink(users[2].id, &account).await.unwrap();
    assert_eq!(
        stores
            .accounts
            .other_holders(users[0].id, &account)
            .await
            .unwrap(),
        1
    );
}
