#include "common/json_reader.h"

#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace corral {
namespace {

constexpr size_t kMaxKeyBytes = 256;

class JsonReader {
 public:
  JsonReader(absl::string_view in, int max_depth) : in_(in), max_depth_(max_depth) {}

  absl::StatusOr<Json> ReadDocument() {
    Json value;
    absl::Status s = ReadValue(value, 0);
    if (!s.ok()) return s;
    SkipSpace();
    if (pos_ != in_.size()) return Error("unexpected data after the JSON value");
    return value;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("not JSON: ", what, " at byte ", pos_));
  }

  void SkipSpace() {
    while (pos_ < in_.size() && (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(absl::string_view literal) {
    if (in_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  absl::Status ReadValue(Json& out, int depth) {
    if (depth > max_depth_) return Error("nested too deeply");
    SkipSpace();
    if (pos_ >= in_.size()) return Error("unexpected end");
    char c = in_[pos_];
    if (c == '{') return ReadObject(out, depth);
    if (c == '[') return ReadArray(out, depth);
    if (c == '"') {
      out.type = Json::Type::kString;
      return ReadString(out.text);
    }
    if (Consume("true")) {
      out.type = Json::Type::kBool;
      out.boolean = true;
      return absl::OkStatus();
    }
    if (Consume("false")) {
      out.type = Json::Type::kBool;
      return absl::OkStatus();
    }
    if (Consume("null")) return absl::OkStatus();
    if (c == '-' || absl::ascii_isdigit(static_cast<unsigned char>(c))) return ReadNumber(out);
    return Error("unexpected character");
  }

  absl::Status ReadObject(Json& out, int depth) {
    out.type = Json::Type::kObject;
    ++pos_;
    SkipSpace();
    if (Consume("}")) return absl::OkStatus();
    while (true) {
      SkipSpace();
      if (pos_ >= in_.size() || in_[pos_] != '"') return Error("expected a member name");
      std::string key;
      absl::Status s = ReadString(key);
      if (!s.ok()) return s;
      // Names end up in error messages, which snapshots carry.
      if (key.size() > kMaxKeyBytes) return Error("member name longer than 256 bytes");
      SkipSpace();
      if (!Consume(":")) return Error("expected ':'");
      Json value;
      s = ReadValue(value, depth + 1);
      if (!s.ok()) return s;
      out.keys.push_back(std::move(key));
      out.values.push_back(std::move(value));
      SkipSpace();
      if (Consume("}")) return absl::OkStatus();
      if (!Consume(",")) return Error("expected ',' or '}'");
    }
  }

  absl::Status ReadArray(Json& out, int depth) {
    out.type = Json::Type::kArray;
    ++pos_;
    SkipSpace();
    if (Consume("]")) return absl::OkStatus();
    while (true) {
      Json value;
      absl::Status s = ReadValue(value, depth + 1);
      if (!s.ok()) return s;
      out.items.push_back(std::move(value));
      SkipSpace();
      if (Consume("]")) return absl::OkStatus();
      if (!Consume(",")) return Error("expected ',' or ']'");
    }
  }

  absl::Status ReadHex4(uint32_t& out) {
    if (pos_ + 4 > in_.size()) return Error("truncated \\u escape");
    out = 0;
    for (int i = 0; i < 4; ++i) {
      char c = in_[pos_++];
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) return Error("bad \\u escape");
      out = out * 16 + static_cast<uint32_t>(digit);
    }
    return absl::OkStatus();
  }

  absl::Status ReadString(std::string& out) {
    ++pos_;  // the opening quote
    while (true) {
      if (pos_ >= in_.size()) return Error("unterminated string");
      char c = in_[pos_++];
      if (c == '"') return absl::OkStatus();
      if (static_cast<unsigned char>(c) < 0x20) return Error("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= in_.size()) return Error("unterminated string");
      char e = in_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp = 0;
          absl::Status s = ReadHex4(cp);
          if (!s.ok()) return s;
          if (cp >= 0xD800 && cp < 0xDC00 && in_.substr(pos_, 2) == "\\u") {
            size_t before = pos_;
            pos_ += 2;
            uint32_t low = 0;
            s = ReadHex4(low);
            if (!s.ok()) return s;
            if (low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              pos_ = before;  // not a pair: the high half stands alone
            }
          }
          // A lone surrogate (Python writes one for undecodable bytes) is
          // not valid UTF-8; keep the string printable instead.
          if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD;
          AppendUtf8(cp, &out);
          break;
        }
        default:
          return Error("bad escape");
      }
    }
  }

  absl::Status ReadNumber(Json& out) {
    size_t start = pos_;
    bool integral = true;
    if (in_[pos_] == '-') ++pos_;
    // RFC 8259: no leading zeros ("01").
    if (pos_ + 1 < in_.size() && in_[pos_] == '0' && absl::ascii_isdigit(static_cast<unsigned char>(in_[pos_ + 1]))) {
      return Error("bad number");
    }
    auto digits = [&] {
      size_t from = pos_;
      while (pos_ < in_.size() && absl::ascii_isdigit(static_cast<unsigned char>(in_[pos_]))) ++pos_;
      return pos_ - from;
    };
    if (digits() == 0) return Error("bad number");
    if (pos_ < in_.size() && in_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (digits() == 0) return Error("bad number");
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Error("bad number");
    }
    std::string token(in_.substr(start, pos_ - start));
    out.type = Json::Type::kNumber;
    out.number = std::strtod(token.c_str(), nullptr);
    int64_t n = 0;
    if (integral && absl::SimpleAtoi(token, &n)) out.integer = n;
    return absl::OkStatus();
  }

  absl::string_view in_;
  int max_depth_;
  size_t pos_ = 0;
};

}  // namespace

const Json* Json::Find(absl::string_view key) const {
  for (size_t i = keys.size(); i-- > 0;) {
    if (keys[i] == key) return &values[i];
  }
  return nullptr;
}

absl::StatusOr<Json> ParseJson(absl::string_view text, int max_depth) {
  return JsonReader(text, max_depth).ReadDocument();
}

}  // namespace corral
