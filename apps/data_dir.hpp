// The data directory's permissions: private to the user solo runs as.
//
// <data> holds the database (events, tokens' hashes, encrypted secrets), the
// master key and the admin token, so the directory is 0700 and every file in
// it 0600. prepare_data_dir() creates the directory that way, tightens an
// existing one (and the files in it) that is looser, saying so on stderr, and
// creates solo.db 0600 before SQLite opens it: SQLite gives the -wal and -shm
// files the database file's mode, so they are 0600 too.
//
// Called by Kernel::boot() before the store opens.
#pragma once

#include <filesystem>

namespace solo {

// Throws std::filesystem::filesystem_error when the directory or solo.db
// cannot be created; a mode that cannot be tightened is a warning on stderr.
// `sqlite_store` false (the store is in PostgreSQL): no solo.db is made.
void prepare_data_dir(const std::filesystem::path& dir, bool sqlite_store = true);

}  // namespace solo
