# The gateway store (keys, credit ledger): interface store/key_store.h, SQLite below.
st_library(store_ledger SOURCES sqlite/sqlite_key_store.cc DEPS st_store_sqlite_db st_store_codec)

st_test(sqlite_key_store_test SOURCES sqlite/sqlite_key_store_test.cc DEPS st_store_ledger)
