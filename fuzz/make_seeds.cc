// Writes seed inputs for the charge-log harnesses with the real encoders, so that the
// seeds in fuzz/corpus/ match the formats: `make_seeds DIR` writes DIR/charge_block/*,
// DIR/charge_journal/*, DIR/charge_lane/* (scripts/fuzz.sh --seeds refreshes the repo's).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ledger/charge_journal.h"
#include "ledger/charge_lane.h"
#include "store/charge_block.h"

using namespace soundtrend::ledger;
using namespace soundtrend::store;

namespace {

void Write(const std::filesystem::path& path, const std::string& bytes) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Block(int n, int64_t start_balance) {
  std::vector<PackedCharge> charges;
  for (int i = 0; i < n; ++i) {
    PackedCharge c;
    c.key_id = i % 2 ? "key_000000000002" : "key_000000000001";
    c.endpoint = i % 3 ? "/v1/tiktok/trending/music" : "/v1/tiktok/trending/music/detail";
    c.request_id = i % 4 ? "6f1c9d4e-2b3a-4c5d-8e7f-0a1b2c3d4e5f" : "custom-request-id";
    c.time_micros = 1769990461000000 + i * 1000;
    c.cost = 2;
    c.balance_after = start_balance - 2 * (i + 1);
    charges.push_back(c);
  }
  std::string out;
  EncodeChargeBlock(charges, out);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  Write(dir / "charge_block" / "one", Block(1, 10));
  Write(dir / "charge_block" / "five", Block(5, 100));
  Write(dir / "charge_block" / "two_groups", Block(2, 50) + Block(3, 46));
  // A journal of three records, then the same with a torn tail.
  const std::string journal_path = (dir / "journal.tmp").string();
  std::filesystem::remove(journal_path);
  {
    auto journal = ChargeJournal::Open(journal_path, {}, 41);
    if (!journal.ok()) return 1;
    for (int i = 1; i <= 3; ++i) (void)(*journal)->Append(Block(i, 100));
  }
  const std::string journal = Slurp(journal_path);
  std::filesystem::remove(journal_path);
  Write(dir / "charge_journal" / "three", journal);
  Write(dir / "charge_journal" / "torn", journal.substr(0, journal.size() - 5));
  return 0;
}
