// One `corral watch`: a server-streaming call that first replays stored
// events after the client's last seen id, then sends new ones as the
// history records them, in id order, one write in flight at a time.
//
// A watcher that falls kMaxQueuedEvents behind is ended with
// RESOURCE_EXHAUSTED; it resumes from its last id and gets the rest from
// the store, so memory stays bounded and nothing is lost.
#ifndef CORRAL_SERVER_EVENT_STREAM_H_
#define CORRAL_SERVER_EVENT_STREAM_H_

#include <deque>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "corral/v1/fleet.pb.h"
#include "grpcpp/grpcpp.h"
#include "server/history.h"

namespace corral::server {

inline constexpr size_t kMaxQueuedEvents = 10000;

class EventStream : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Starts replaying and listening; deletes itself when the call is done.
  EventStream(History* history, const corral::v1::WatchRequest& request);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void Push(const corral::v1::Event& event);
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  History* history_;
  std::string service_;
  uint64_t subscription_ = 0;
  absl::Mutex mu_;
  bool replaying_ ABSL_GUARDED_BY(mu_) = true;
  std::deque<corral::v1::Event> held_ ABSL_GUARDED_BY(mu_);  // live events that came during the replay
  std::deque<corral::v1::Event> queue_ ABSL_GUARDED_BY(mu_);
  grpc::ByteBuffer in_flight_ ABSL_GUARDED_BY(mu_);  // queue_.front(), serialized
  int64_t last_queued_id_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> pending_finish_ ABSL_GUARDED_BY(mu_);
};

}  // namespace corral::server

#endif  // CORRAL_SERVER_EVENT_STREAM_H_
