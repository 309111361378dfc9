// A Gunicorn control socket's answers (gunicorn/control_protocol.h), which
// come from whatever listens at the socket's path: the frame header, the
// reply envelope, and the `show config` / `show all` / `show stats` data
// read into settings and pids.
#include <string>
#include <vector>

#include "fuzz/fuzz_input.h"
#include "gunicorn/control_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::gunicorn;
  absl::string_view text = corral::fuzz::AsText(data, size);
  if (absl::StatusOr<uint32_t> length = DecodeControlFrameLength(text.substr(0, 4)); length.ok()) {
    CORRAL_FUZZ_CHECK(*length <= kMaxControlReplyBytes);
  }
  (void)WorkerClassName(text);
  if (absl::StatusOr<std::string> request = EncodeControlRequest(1, text); request.ok()) {
    CORRAL_FUZZ_CHECK(request->size() >= 4);
    absl::StatusOr<uint32_t> length = DecodeControlFrameLength(request->substr(0, 4), UINT32_MAX);
    CORRAL_FUZZ_CHECK(length.ok() && *length == request->size() - 4);
  }
  absl::StatusOr<corral::Json> reply = ParseControlReply(text, 1);
  if (!reply.ok()) return 0;
  // The same data as each of the three answers, and as all of them at once.
  std::vector<std::string> problems;
  ControlAnswers answers = ReadControlAnswers(&*reply, &*reply, &*reply, &problems);
  for (int pid : answers.web_worker_pids) CORRAL_FUZZ_CHECK(pid > 0);
  for (int pid : answers.dirty_worker_pids) CORRAL_FUZZ_CHECK(pid > 0);
  if (answers.dirty_arbiter_pid) CORRAL_FUZZ_CHECK(*answers.dirty_arbiter_pid > 0);
  (void)ReadControlAnswers(&*reply, nullptr, nullptr, &problems);
  (void)ReadControlAnswers(nullptr, &*reply, nullptr, &problems);
  (void)ReadControlAnswers(nullptr, nullptr, &*reply, &problems);
  return 0;
}
