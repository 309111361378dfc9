// The pages' live updates: history events as server-sent events
// (text/event-stream), one stream per open page, each held by one of the
// HTTP port's threads. The history hands every stored event to the feed,
// which queues it, serialized once, for the streams that follow its
// service; a stream waits for its queue and writes what it holds.
//
// Bounded: at most `max_streams` at once (more are refused, and the page
// falls back to refreshing on a timer), at most kMaxQueued events waiting
// per stream (a stream that falls behind is told to reload and ends).
#ifndef CORRAL_SERVER_WEB_EVENT_FEED_H_
#define CORRAL_SERVER_WEB_EVENT_FEED_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "corral/v1/fleet.pb.h"
#include "server/history.h"

namespace corral::server::web {

// One event as the stream writes it: "id: N\nevent: change\ndata: JSON\n\n".
std::string ServerSentEvent(const corral::v1::Event& event);

class EventFeed {
 public:
  static constexpr size_t kMaxQueued = 1000;

  // Subscribes to `history` (which outlives the feed; may be null).
  EventFeed(History* history, int max_streams, absl::Duration keepalive = absl::Seconds(15));
  ~EventFeed();

  class Stream;
  // A new stream of `service`'s events ("" for every service), or null
  // when max_streams are open or the feed is shut down.
  std::shared_ptr<Stream> Open(const std::string& service);

  // Ends every stream and refuses new ones (the server is stopping).
  void Shutdown();

  int open_streams() const;

  // Queues `event` for the streams that follow its service. The history's
  // listener calls it; it never blocks on a stream.
  void Publish(const corral::v1::Event& event);

  class Stream {
   public:
    // Waits up to the keepalive for events, and returns what to write: the
    // queued events, a comment to keep the connection alive, or nullopt
    // when the stream is over (shut down, or fell behind: then a last
    // "reload" event is returned first).
    std::optional<std::string> Next();
    // The client is gone.
    void Close();

   private:
    friend class EventFeed;
    Stream(std::string service, absl::Duration keepalive) : service_(std::move(service)), keepalive_(keepalive) {}
    void Push(const std::string& service, const std::string& text);
    bool Closed();

    const std::string service_;
    const absl::Duration keepalive_;
    absl::Mutex mu_;
    std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
    bool greeted_ ABSL_GUARDED_BY(mu_) = false;
    bool overflowed_ ABSL_GUARDED_BY(mu_) = false;
    bool closed_ ABSL_GUARDED_BY(mu_) = false;
  };

 private:
  History* history_;
  const int max_streams_;
  const absl::Duration keepalive_;
  uint64_t subscription_ = 0;
  mutable absl::Mutex mu_;
  std::map<Stream*, std::weak_ptr<Stream>> streams_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace corral::server::web

#endif  // CORRAL_SERVER_WEB_EVENT_FEED_H_
