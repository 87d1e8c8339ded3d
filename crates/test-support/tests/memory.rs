//! The store contract suite against the in-memory fake.

use vodokanal_test_support::memory::in_memory_stores;

vodokanal_test_support::store_contract_tests!(async { in_memory_stores() });
