# The key store (keys, grants, the credit ledger): interface store/key_store.h and the
# SQLite implementation.
st_library(store_ledger SOURCES sqlite/sqlite_key_store.cc DEPS st_store_sqlite_db st_store_codec)

st_test(sqlite_key_store_test SOURCES sqlite/sqlite_key_store_test.cc DEPS st_store_ledger)
