//! What every store is tested with: the [`Stores`] bundle of store ports, in-memory fakes of
//! them ([`memory`]), fakes of the clock, randomness, hasher, SMS gateway and payment provider
//! ([`fakes`]), builders of domain values ([`builders`]), and the store contract suite
//! ([`contract`]) that the in-memory fake, SQLite and PostgreSQL all run, through
//! [`store_contract_tests!`]. And the real parts on loopback that the adapters' tests and the
//! black-box journeys share: an SMTP server that keeps what arrives ([`smtp`]), and a push
//! service stand-in that decrypts what it receives ([`push_endpoint`]); PgBouncer
//! ([`pgbouncer`]).
//!
//! May depend on `vodokanal-app`, `vodokanal-domain`, tokio, futures and rand, and for the
//! loopback servers on mailin, tokio-rustls, axum, p256, web-push-native, base64 and
//! `serde_json`; used only as a dev-dependency. It does not depend on sqlx: a store's tests
//! bring their own test attribute and pool type.
//!
//! # Running the contract suite against a store
//!
//! [`store_contract_tests!`] expands, in the integration test file that invokes it, to one
//! `#[test]` per contract function, inside a module `store_contract` with one
//! sub-module per port area: `store_contract::readings::a_batch_with_one_bad_reading_stores_none`.
//!
//! With an async factory, for stores that make their own fresh database per test. The tests
//! run on tokio's multi-threaded runtime (two workers, so the concurrency cases really race):
//! the calling crate needs `tokio` with the `macros` and `rt-multi-thread` features among its
//! dev-dependencies.
//!
//! ```no_run
//! use vodokanal_test_support::memory::in_memory_stores;
//!
//! vodokanal_test_support::store_contract_tests!(async { in_memory_stores() });
//! # fn main() {}
//! ```
//!
//! The factory gives [`Stores`] or anything that implements [`StoreFixture`]: a fixture that
//! also owns what must live as long as the test (a temporary directory holding the database
//! file) and is dropped when the test ends.
//!
//! With a test attribute that hands each test a pool, such as `#[sqlx::test]` (a fresh
//! database per test, migrated by the given migrator):
//!
//! ```text
//! vodokanal_test_support::store_contract_tests!(
//!     #[sqlx::test(migrator = "vodokanal_postgres::MIGRATOR")]
//!     |pool: sqlx::PgPool| vodokanal_postgres::PgStores::new(pool)
//! );
//! ```
//!
//! Paths in the factory, the attribute and the pool type are resolved where the macro is
//! invoked (the generated modules glob-import their parent).
//!
//! # Adding a contract function
//!
//! Write it as `pub async fn name(stores: Stores)` in its area's file under `src/contract/`,
//! then add its name to the list in [`for_each_contract!`], the only list of them.

pub mod builders;
pub mod contract;
pub mod fakes;
pub mod logs;
pub mod memory;
pub mod pgbouncer;
pub mod push_endpoint;
pub mod smtp;

pub use vodokanal_app::Stores;

/// What a contract test runs against: the store's ports, and whatever must outlive the test
/// with them (dropped when the test ends).
pub trait StoreFixture {
    fn stores(&self) -> Stores;
}

impl StoreFixture for Stores {
    fn stores(&self) -> Stores {
        self.clone()
    }
}

/// Calls `$callback!` with `{ $args }` followed by the list of every contract function, by
/// port area: `{ args } users: [name, ...], sessions: [...], ...`. The one place that lists
/// them; [`store_contract_tests!`] is built on it.
#[doc(hidden)]
#[macro_export]
macro_rules! for_each_contract {
    ([$($callback:tt)*] { $($args:tt)* }) => {
        $($callback)*! {
            { $($args)* }
            accounts: [
                an_account_is_found_with_its_meters,
                an_account_without_meters_is_found,
                an_unknown_account_is_not_found,
                a_linked_account_is_listed_with_its_label,
                linked_accounts_come_in_the_order_they_were_linked,
                links_are_per_user,
                linking_twice_is_already_linked,
                linking_an_unknown_account_fails,
                concurrent_links_of_one_account_link_it_once,
                relabel_changes_and_clears_the_label,
                relabel_of_an_unlinked_account_is_false,
                unlink_removes_the_link_once,
                linking_with_a_notice_queues_it_for_every_other_holder,
                a_refused_link_queues_no_notice,
                other_holders_counts_the_other_profiles_of_the_account,
            ],
            attempts: [
                check_allows_under_the_limit_and_counts_nothing,
                recorded_attempts_reach_the_limit,
                attempts_leave_the_window,
                count_reads_the_keys_attempts_within_the_window,
                clear_forgets_the_keys_attempts,
                keys_are_counted_apart,
                acquire_counts_only_what_it_allows,
                release_takes_back_one_attempt,
                concurrent_acquires_allow_exactly_the_limit,
            ],
            codes: [
                a_stored_code_is_found,
                a_decoy_code_without_digest_is_stored,
                a_registration_code_keeps_its_email,
                put_replaces_the_code_of_the_same_phone_and_purpose,
                record_try_counts_every_try,
                record_try_of_a_missing_code_counts_nothing,
                concurrent_tries_are_all_counted,
                consume_removes_the_code_once,
                concurrent_consumes_succeed_once,
            ],
            housekeeping: [
                purge_deletes_only_what_expired,
                purging_an_empty_store_deletes_nothing,
            ],
            idempotency: [
                a_new_key_is_started,
                a_repeat_while_running_is_in_progress,
                a_completed_key_replays_its_response,
                another_body_under_the_key_is_a_mismatch,
                an_expired_record_is_replaced,
                a_released_key_can_be_claimed_again,
                an_answer_is_stored_once,
                an_abandoned_claim_is_taken_over_and_fences_its_request,
                an_answered_claim_is_never_taken_over,
                keys_of_other_callers_and_endpoints_are_separate,
                concurrent_claims_of_one_key_start_once,
                concurrent_claims_of_an_expired_key_start_once,
                concurrent_takeovers_of_an_abandoned_claim_take_it_once,
            ],
            meters: [
                a_meter_is_found_with_its_account,
                an_unknown_meter_is_not_found,
                a_moved_meter_is_found_under_its_new_account,
            ],
            notice_settings: [
                reach_says_how_each_user_can_be_reached,
                preferences_are_the_defaults_until_set,
                a_push_subscription_belongs_to_the_user_who_added_it_last,
                verify_email_marks_only_the_current_address,
            ],
            notices: [
                planning_a_notice_twice_stores_it_once,
                concurrent_plans_store_each_notice_once,
                a_claim_takes_due_deliveries_until_their_lease_ends,
                a_claim_takes_at_most_its_limit_oldest_first,
                concurrent_claims_take_each_delivery_once,
                a_claim_says_where_the_delivery_goes_now,
                a_gone_subscription_is_deleted_and_its_other_deliveries_go_without_it,
                recorded_outcomes_show_in_the_deliveries,
                deleting_a_user_leaves_nothing_of_their_notices,
                the_purge_deletes_old_notices_and_finished_deliveries,
            ],
            notices_due: [
                readings_are_missing_until_every_meter_has_a_live_one,
                verifications_due_include_both_bounds,
                debts_above_are_strictly_above,
                payments_succeeded_are_the_cabinets_since_the_instant,
            ],
            outbox: [
                a_code_is_stored_with_its_message,
                a_code_within_the_pause_of_the_earlier_one_is_not_stored,
                codes_stored_at_once_for_one_phone_are_one,
                a_decoy_is_stored_without_a_message,
                a_claim_takes_a_message_until_its_lease_ends,
                a_claim_takes_at_most_its_limit_oldest_first,
                a_claim_skips_expired_and_finished_messages,
                a_sent_message_keeps_its_time_but_not_its_text,
                a_retry_keeps_the_message_pending_until_its_time,
                a_failed_message_keeps_the_error_but_not_its_text,
                expire_gives_up_only_what_expired,
                concurrent_claims_take_each_message_once,
            ],
            payments: [
                a_created_payment_keeps_every_field,
                an_unknown_payment_is_not_found,
                a_payment_of_an_unknown_account_is_refused,
                the_providers_id_finds_the_payment,
                an_unknown_provider_id_finds_nothing,
                settling_a_success_moves_the_payment,
                settling_a_cancellation_moves_the_payment,
                a_final_payment_is_unchanged_by_settling,
                settling_an_unknown_payment_is_none,
                concurrent_settlements_move_the_payment_once,
                history_is_the_accounts_payments_newest_first,
                succeeded_since_sums_what_was_paid_from_then,
                pending_payments_created_before_come_oldest_first,
                pending_payments_are_read_in_pages_by_key,
                the_export_holds_the_payments_created_in_the_range,
                the_providers_id_commits_with_its_answer,
            ],
            readings: [
                a_saved_reading_keeps_every_field,
                saving_an_empty_batch_changes_nothing,
                a_second_reading_of_the_period_replaces_the_first,
                a_batch_with_one_bad_reading_stores_none,
                a_batch_replacing_an_earlier_reading_is_rolled_back_whole,
                concurrent_saves_of_one_meter_and_period_leave_one_reading,
                concurrent_batches_of_different_meters_all_commit,
                history_is_newest_first_and_limited,
                history_before_pages_back,
                history_holds_only_the_accounts_readings,
                last_before_is_the_latest_earlier_period,
                last_before_without_an_earlier_reading_is_none,
                last_before_counts_the_registrys_reading,
                last_before_each_is_each_meters_latest_earlier_live_period,
                live_since_each_is_the_meters_live_readings_from_the_period_on,
                last_for_meter_is_the_latest_period_of_that_meter,
                the_export_holds_the_periods_subscriber_readings,
                save_keeps_a_subscribers_reading_as_the_rule_says,
                concurrent_anonymous_and_cabinet_readings_leave_the_cabinets,
                a_voided_reading_stays_in_the_history_and_leaves_the_base,
                voiding_frees_the_period_for_a_new_reading,
                voiding_a_missing_reading_is_none,
                the_registry_fills_a_period_whose_reading_was_voided,
                a_batch_commits_with_its_answer,
                an_anonymous_reading_commits_with_its_answer,
            ],
            registry: [
                new_rows_are_inserted,
                an_empty_upsert_counts_nothing,
                the_same_rows_twice_update_to_the_same_state,
                a_known_account_with_a_new_meter_is_updated,
                an_address_with_a_backslash_and_a_tab_is_kept,
                a_meter_changes_with_the_registry,
                a_later_registry_without_an_account_keeps_it,
                a_meter_listed_under_another_account_moves,
                the_last_reading_becomes_a_registry_reading_of_its_period,
                a_newer_registry_reading_of_the_period_replaces_the_older,
                a_registry_reading_never_replaces_a_subscribers,
                a_large_registry_goes_in_whole,
            ],
            sessions: [
                a_created_session_is_found,
                an_unknown_session_is_not_found,
                revoke_ends_one_session,
                a_session_is_created_only_under_the_password_the_login_checked,
            ],
            snapshots: [
                a_snapshot_holds_the_account_its_payments_readings_and_holders,
                a_snapshot_of_an_account_not_linked_to_the_user_is_none,
                snapshots_come_in_link_order_each_with_its_own_figures,
            ],
            users: [
                a_created_user_is_found_by_id_phone_and_email,
                an_unknown_user_is_not_found,
                a_taken_phone_is_refused,
                a_taken_email_is_refused,
                concurrent_registrations_of_one_phone_create_one_user,
                set_password_hash_replaces_the_hash,
                replace_password_keeps_only_the_callers_session,
                replace_password_without_a_session_to_keep_ends_every_session,
                deleting_a_user_deletes_their_links_and_sessions,
                deleting_a_user_keeps_their_readings_payments_and_visits,
                deleting_a_user_forgets_their_idempotency_records,
                a_deleted_users_phone_and_email_can_register_again,
                deleting_an_unknown_user_is_not_an_error,
            ],
            visits: [
                a_created_visit_request_keeps_every_field,
                a_visit_request_of_an_unknown_account_is_refused,
                a_users_requests_come_newest_first_and_only_theirs,
                the_export_by_status_comes_oldest_first,
                a_visit_request_commits_with_its_answer,
            ],
        }
    };
}

/// One test per contract function against one store; see the [crate docs](crate) for the
/// two forms (an async factory, or a pool-handing test attribute with a closure).
#[macro_export]
macro_rules! store_contract_tests {
    (#[$attribute:meta] |$pool:ident : $pool_type:ty| $make:expr $(,)?) => {
        $crate::for_each_contract!(
            [$crate::__store_contract_tests_with_pool]
            { #[$attribute] |$pool: $pool_type| $make }
        );
    };
    ($make:expr $(,)?) => {
        $crate::for_each_contract!([$crate::__store_contract_tests_async] { $make });
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_tests_async {
    ({ $make:expr } $($area:ident: [$($name:ident),* $(,)?]),* $(,)?) => {
        mod store_contract {
            #[allow(unused_imports, reason = "the factory may name nothing of the caller's")]
            use super::*;
            $(
                mod $area {
                    #[allow(unused_imports, reason = "the factory may name nothing of the caller's")]
                    use super::*;
                    $(
                        #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
                        async fn $name() {
                            let fixture = $make.await;
                            let stores = $crate::StoreFixture::stores(&fixture);
                            $crate::contract::$area::$name(stores).await;
                            drop(fixture);
                        }
                    )*
                }
            )*
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __store_contract_tests_with_pool {
    (
        { #[$attribute:meta] |$pool:ident : $pool_type:ty| $make:expr }
        $($area:ident: [$($name:ident),* $(,)?]),* $(,)?
    ) => {
        mod store_contract {
            #[allow(unused_imports, reason = "the factory may name nothing of the caller's")]
            use super::*;
            $(
                mod $area {
                    #[allow(unused_imports, reason = "the factory may name nothing of the caller's")]
                    use super::*;
                    $(
                        #[$attribute]
                        async fn $name($pool: $pool_type) {
                            let fixture = $make;
                            let stores = $crate::StoreFixture::stores(&fixture);
                            $crate::contract::$area::$name(stores).await;
                            drop(fixture);
                        }
                    )*
                }
            )*
        }
    };
}
