#include "ledger/ledger.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <optional>
#include <utility>

#include "store/charge_block.h"

namespace soundtrend::ledger {
namespace {

constexpr std::string_view kJournalLog = "charges";

std::string LaneLog(uint32_t lane) { return "lane-" + std::to_string(lane); }

// A charge read from a file at recovery (its views die with the read buffer).
struct OwnedCharge {
  std::string key_id;
  std::string request_id;
  std::string endpoint;
  int64_t time_micros = 0;
  int64_t cost = 0;
};

}  // namespace

std::string LogPathBeside(const std::string& db_path) { return db_path + "-charges"; }

Ledger::Ledger(store::KeyStore& store, LedgerOptions options)
    : store_(store), options_(std::move(options)) {}

Result<std::unique_ptr<Ledger>> Ledger::Open(store::KeyStore& store, LedgerOptions options) {
  std::unique_ptr<Ledger> ledger(new Ledger(store, std::move(options)));
  if (ledger->options_.log_path.empty()) return ledger;
  ST_RETURN_IF_ERROR(ledger->Recover());
  return ledger;
}

Status Ledger::RecoverIfUnowned(store::KeyStore& store, const LedgerOptions& options) {
  if (options.log_path.empty() || !std::filesystem::exists(options.log_path)) return Status::Ok();
  LedgerOptions recovery = options;
  recovery.lanes = false;
  Result<std::unique_ptr<Ledger>> ledger = Open(store, std::move(recovery));
  if (ledger.status().code() == Status::Code::kFailedPrecondition) return Status::Ok();  // held
  return ledger.status();  // OK: recovered; the ledger closes here
}

Ledger::~Ledger() {
  std::lock_guard lock(mutex_);
  if (!journal_ || !MoveLocked(true, std::nullopt, true).ok()) return;
  for (auto& [index, state] : lanes_) {
    // Nothing can be appended any more: the files of a fully moved lane are not needed.
    if (state.lane->end() == state.moved) state.lane->Retire().ok();
  }
}

Status Ledger::Recover() {
  Result<std::vector<store::LogMarker>> markers = store_.LogMarkers(options_.marker_prefix);
  if (!markers.ok()) return markers.status();
  int64_t journal_marker = 0;
  std::map<uint32_t, LanePosition> lane_markers;
  for (const store::LogMarker& m : *markers) {
    const std::string_view log = std::string_view(m.log_id).substr(options_.marker_prefix.size());
    if (log == kJournalLog) {
      journal_marker = m.position;
    } else if (log.substr(0, 5) == "lane-") {
      uint32_t lane = 0;
      auto [end, ec] = std::from_chars(log.data() + 5, log.data() + log.size(), lane);
      if (ec == std::errc() && end == log.data() + log.size()) {
        lane_markers[lane] = static_cast<LanePosition>(m.position);
      }
    }
  }
  ChargeJournal::Options journal_options;
  journal_options.sync = options_.sync;
  Result<std::unique_ptr<ChargeJournal>> journal = ChargeJournal::Open(
      options_.log_path, journal_options, static_cast<uint64_t>(journal_marker) + 1);
  if (journal.status().code() == Status::Code::kFailedPrecondition) {
    return Status::FailedPrecondition(journal.status().message() +
                                      " (is another `soundtrend serve` using this database?)");
  }
  if (!journal.ok()) return journal.status();
  journal_ = std::move(journal).value();

  // What a killed process left: journal records after the marker, then each lane's records
  // after its marker, in one block.
  std::vector<OwnedCharge> left;
  auto keep = [&](std::string_view key_id, std::string_view request_id, std::string_view endpoint,
                  int64_t time_micros, int64_t cost) {
    left.push_back(
        {std::string(key_id), std::string(request_id), std::string(endpoint), time_micros, cost});
  };
  int64_t journal_last = journal_marker;
  ST_RETURN_IF_ERROR(journal_->ForEach([&](uint64_t id, std::string_view block) {
    if (id <= static_cast<uint64_t>(journal_marker)) return Status::Ok();  // moved before a crash
    journal_last = static_cast<int64_t>(id);
    return store::ForEachPackedCharge(block, [&](const store::PackedCharge& c) {
      keep(c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost);
      return Status::Ok();
    });
  }));
  const std::string prefix = LanePrefix();
  Result<std::map<uint32_t, std::vector<uint32_t>>> found = ChargeLane::FindSegments(prefix);
  if (!found.ok()) return found.status();
  for (const auto& [lane, marker] : lane_markers)
    next_lane_segment_[lane] = LaneSegment(marker) + 1;
  std::map<uint32_t, LanePosition> new_lane_markers;
  for (const auto& [lane, segments] : *found) {
    const auto marker = lane_markers.find(lane);
    const LanePosition from = marker == lane_markers.end() ? 0 : marker->second;
    for (uint32_t segment : segments) {
      ST_RETURN_IF_ERROR(ChargeLane::ReadSegmentFile(
          ChargeLane::SegmentPath(prefix, lane, segment), segment, from,
          [&, lane = lane](LanePosition end, std::string_view payload) {
            LaneCharge c;
            ST_RETURN_IF_ERROR(ChargeLane::Decode(payload, &c));
            keep(c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost);
            new_lane_markers[lane] = end;
            return Status::Ok();
          }));
    }
    uint32_t& next = next_lane_segment_[lane];
    next = std::max(next, segments.back() + 1);
  }
  if (!left.empty()) {
    std::vector<store::ChargeView> views;
    views.reserve(left.size());
    for (const OwnedCharge& c : left) {
      views.push_back({c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost});
    }
    std::vector<store::LogMarker> markers_out;
    if (journal_last != journal_marker)
      markers_out.push_back({MarkerId(kJournalLog), journal_last});
    for (const auto& [lane, end] : new_lane_markers) {
      markers_out.push_back({MarkerId(LaneLog(lane)), static_cast<int64_t>(end)});
    }
    Status applied = store_.ApplyChargeBlock(views, markers_out);
    if (applied.code() == Status::Code::kFailedPrecondition) {
      return Status::Corruption("charges left in the ledger's logs do not apply: " +
                                applied.message());
    }
    ST_RETURN_IF_ERROR(applied);
    ++moves_;
  }
  ST_RETURN_IF_ERROR(journal_->Clear());
  for (const auto& [lane, segments] : *found) {
    for (uint32_t segment : segments) {
      std::error_code ec;
      std::filesystem::remove(ChargeLane::SegmentPath(prefix, lane, segment), ec);
      if (ec) return Status::IoError("delete a moved charge lane segment: " + ec.message());
    }
  }
  return Status::Ok();
}

Result<ChargeLane*> Ledger::Lane(uint32_t index) {
  std::lock_guard lock(mutex_);
  if (!options_.lanes || !journal_) {
    return Status::FailedPrecondition("this ledger has no charge lanes");
  }
  auto it = lanes_.find(index);
  if (it != lanes_.end()) return it->second.lane.get();
  auto next = next_lane_segment_.find(index);
  const uint32_t first_segment = next == next_lane_segment_.end() ? 1 : next->second;
  Result<std::unique_ptr<ChargeLane>> lane = ChargeLane::Create(
      LanePrefix(), index, first_segment, ChargeLane::Options{options_.lane_segment_bytes});
  if (!lane.ok()) return lane.status();
  LaneState& state = lanes_[index];
  state.lane = std::move(lane).value();
  state.moved = state.lane->start();
  next_lane_segment_.erase(index);
  return state.lane.get();
}

Status Ledger::AppendGroup(std::span<const store::ChargeView> charges) {
  if (charges.empty()) return Status::Ok();
  std::lock_guard lock(mutex_);
  if (!journal_) {
    Status st = store_.ApplyChargeBlock(charges, {});
    if (st.ok()) ++moves_;
    return st;
  }
  // The journal's record is a charge block (store/charge_block.h) whose balances mean
  // nothing: the store assigns them when the group moves.
  thread_local std::vector<store::PackedCharge> packed;
  packed.clear();
  for (const store::ChargeView& c : charges) {
    packed.push_back({c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost, 0});
  }
  store::EncodeChargeBlock(packed, group_);
  Result<uint64_t> appended = journal_->Append(group_);
  if (!appended.ok()) return appended.status();
  journal_charges_ += static_cast<int64_t>(charges.size());
  return Status::Ok();
}

Status Ledger::MoveAll() {
  std::lock_guard lock(mutex_);
  return MoveLocked(true, std::nullopt, true);
}

Status Ledger::TryMoveLane(uint32_t index) {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return Status::Ok();
  Status st = MoveLocked(false, index, false);
  return st.code() == Status::Code::kUnavailable ? Status::Ok() : st;
}

Status Ledger::MoveLocked(bool journal, std::optional<uint32_t> only_lane, bool wait) {
  if (!journal_) return Status::Ok();
  // The charges are decided and encoded by the store straight from the journal's buffer and
  // the lanes' mappings (views valid until Clear and Release, after the commit).
  views_.clear();
  markers_.clear();
  lane_ends_.clear();
  const bool move_journal = journal && !journal_->empty();
  if (move_journal) {
    uuid_texts_.clear();
    ST_RETURN_IF_ERROR(journal_->ForEach([&](uint64_t, std::string_view block) {
      return store::ForEachPackedCharge(block, [&](const store::PackedCharge& c) {
        std::string_view request_id = c.request_id;
        if (request_id.data() < block.data() || request_id.data() >= block.data() + block.size()) {
          // A UUID stored as 16 bytes: its text is in the decoder's scratch, valid only
          // during this call (kept as it was, every --ledger-sync full charge reached the
          // store with a dangling reference: issue 12, found by the real-binary race test).
          std::array<char, 36>& text = uuid_texts_.emplace_back();
          std::memcpy(text.data(), request_id.data(), text.size());
          request_id = std::string_view(text.data(), text.size());
        }
        views_.push_back({c.key_id, request_id, c.endpoint, c.time_micros, c.cost});
        return Status::Ok();
      });
    }));
    // Every record in the journal moves (next_id is one past the last record's id).
    markers_.push_back({MarkerId(kJournalLog), static_cast<int64_t>(journal_->next_id() - 1)});
  }
  for (auto& [index, state] : lanes_) {
    if (only_lane && *only_lane != index) continue;
    // What is appended from now on waits for the next move.
    const LanePosition end = state.lane->end();
    if (end == state.moved) continue;
    ST_RETURN_IF_ERROR(state.lane->ForEach(state.moved, end, [&](std::string_view payload) {
      LaneCharge c;
      ST_RETURN_IF_ERROR(ChargeLane::Decode(payload, &c));
      views_.push_back({c.key_id, c.request_id, c.endpoint, c.time_micros, c.cost});
      return Status::Ok();
    }));
    lane_ends_.emplace_back(index, end);
    markers_.push_back({MarkerId(LaneLog(index)), static_cast<int64_t>(end)});
  }
  if (markers_.empty()) return Status::Ok();
  store::ApplyOptions apply;
  apply.wait = wait;
  Status st = store_.ApplyChargeBlock(views_, markers_, apply);
  if (st.code() == Status::Code::kFailedPrecondition) {
    // The writers reserve every charge against the balance first: a charge that does not
    // apply means a reservation was wrong. The charges stay in the logs; every move reports it.
    return Status::Corruption("charges in the ledger's logs do not apply: " + st.message());
  }
  ST_RETURN_IF_ERROR(st);
  ++moves_;
  Status released;
  for (const auto& [index, end] : lane_ends_) {
    LaneState& state = lanes_[index];
    state.moved = end;
    Status r = state.lane->Release(end);
    if (released.ok()) released = r;
  }
  if (move_journal) {
    ST_RETURN_IF_ERROR(journal_->Clear());
    journal_charges_ = 0;
  }
  return released;
}

int64_t Ledger::journal_charges() const {
  std::lock_guard lock(mutex_);
  return journal_charges_;
}

int64_t Ledger::moves() const {
  std::lock_guard lock(mutex_);
  return moves_;
}

}  // namespace soundtrend::ledger
