// Graphviz behind one function (graph_svg.h).
#include "html/graph_svg.h"

#include <fmt/format.h>
#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "cnnzoo/error.h"

namespace cnnzoo::html {
namespace {

// Graphviz is not thread-safe: its parser, its error handler and its plugin loading are global.
std::mutex graphviz_mutex;

// Where Graphviz's messages go while a caller holds the mutex (Graphviz's handler takes no user pointer).
std::string* graphviz_messages = nullptr;

int collect_message(char* text) {
  if (graphviz_messages != nullptr) graphviz_messages->append(text);
  return 0;
}

// For one rendering: Graphviz's warnings and errors go to `messages` instead of stderr, and the previous
// handler and level come back afterwards. Level AGWARN hands every message to the handler; a higher level
// would keep them in a temporary file Graphviz opens for the purpose.
class CollectedMessages {
 public:
  explicit CollectedMessages(std::string& messages)
      : previous_handler_(agseterrf(&collect_message)), previous_level_(agseterr(AGWARN)) {
    graphviz_messages = &messages;
  }
  ~CollectedMessages() {
    graphviz_messages = nullptr;
    agseterr(previous_level_);
    agseterrf(previous_handler_);
  }
  CollectedMessages(const CollectedMessages&) = delete;
  CollectedMessages& operator=(const CollectedMessages&) = delete;

 private:
  agusererrf previous_handler_;
  agerrlevel_t previous_level_;
};

struct GraphDeleter {
  void operator()(Agraph_t* graph) const { agclose(graph); }
};
using DotGraph = std::unique_ptr<Agraph_t, GraphDeleter>;

// A layout, freed before its graph is closed (Graphviz's order).
class Layout {
 public:
  Layout(GVC_t* gvc, Agraph_t* graph) : gvc_(gvc), graph_(graph), ok_(gvLayout(gvc, graph, "dot") == 0) {}
  ~Layout() {
    if (ok_) gvFreeLayout(gvc_, graph_);
  }
  Layout(const Layout&) = delete;
  Layout& operator=(const Layout&) = delete;
  bool ok() const { return ok_; }

 private:
  GVC_t* gvc_;
  Agraph_t* graph_;
  bool ok_;
};

// Graphviz's default ids of named objects are the addresses of their interned names, and it keeps
// subgraphs ordered by id: clusters would be laid out in an order that changes with the heap (between
// threads, or as a process ages), and so would the drawing. These ids count up in the order the DOT text
// names things instead: even ids for names, odd ones for anonymous objects, as Graphviz's own. (Declining
// names would leave them to cgraph's internal name map, which leaks an entry per graph in 2.43.)
struct Ids {
  std::unordered_map<std::string, IDTYPE> by_name;
  std::unordered_map<IDTYPE, std::string> names;
  IDTYPE next_named = 2;
  IDTYPE next_anonymous = 1;
};

void* open_ids(Agraph_t* /*graph*/, Agdisc_t* /*disc*/) { return new Ids; }
long map_id(void* state, int /*type*/, char* name, IDTYPE* id, int create) {
  auto* ids = static_cast<Ids*>(state);
  if (name == nullptr) {
    if (create == 0) return 0;
    *id = ids->next_anonymous;
    ids->next_anonymous += 2;
    return 1;
  }
  const auto known = ids->by_name.find(name);
  if (known != ids->by_name.end()) {
    *id = known->second;
    return 1;
  }
  if (create == 0) return 0;
  *id = ids->next_named;
  ids->next_named += 2;
  ids->by_name.emplace(name, *id);
  ids->names.emplace(*id, name);
  return 1;
}
long alloc_id(void* /*state*/, int /*type*/, IDTYPE /*id*/) { return 0; }  // no ids chosen by callers
void free_id(void* /*state*/, int /*type*/, IDTYPE /*id*/) {}              // names live as long as the graph
char* print_id(void* state, int /*type*/, IDTYPE id) {
  auto& names = static_cast<Ids*>(state)->names;
  const auto name = names.find(id);
  return name == names.end() ? nullptr : name->second.data();
}
void close_ids(void* state) { delete static_cast<Ids*>(state); }
void register_id(void* /*state*/, int /*type*/, void* /*object*/) {}

Agiddisc_t counted_ids{&open_ids, &map_id, &alloc_id, &free_id, &print_id, &close_ids, &register_id};

// The DOT text as Graphviz's reader takes it, a line per read as agmemread() gives it.
struct DotReader {
  std::string_view text;
};

int read_line(void* channel, char* buffer, int size) {
  auto* reader = static_cast<DotReader*>(channel);
  if (size <= 0 || reader->text.empty()) return 0;
  const std::size_t newline = reader->text.find('\n');
  const std::size_t line = newline == std::string_view::npos ? reader->text.size() : newline + 1;
  const std::size_t length = std::min(line, static_cast<std::size_t>(size));
  std::copy_n(reader->text.data(), length, buffer);
  reader->text.remove_prefix(length);
  return static_cast<int>(length);
}

DotGraph read_dot(const std::string& dot) {
  static Agiodisc_t io{&read_line, AgIoDisc.putstr, AgIoDisc.flush};  // the graph keeps a pointer to it
  Agdisc_t disc{&AgMemDisc, &counted_ids, &io};
  // Graphviz's lexer keeps what it read past the end of the last graph (a final line break) and counts
  // lines on from there: without trailing space and with the count reset, its messages name true lines.
  std::string_view text = dot;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  DotReader reader{text};
  agreadline(1);
  return DotGraph(agread(&reader, &disc));
}

[[noreturn]] void fail(const DotText& dot, std::string_view step, std::string messages) {
  while (!messages.empty() && (messages.back() == '\n' || messages.back() == ' ')) messages.pop_back();
  throw Error(
      fmt::format("Graphviz could not {} {}: {}", step, dot.name, messages.empty() ? "it gave no reason" : messages));
}

std::string render(GVC_t* gvc, const DotText& dot, std::string& messages) {
  const DotGraph graph(read_dot(dot.dot));
  if (!graph) fail(dot, "read the DOT text of", messages);
  const Layout layout(gvc, graph.get());
  if (!layout.ok()) fail(dot, "lay out", messages);
  char* data = nullptr;
  unsigned length = 0;
  const int rendered = gvRenderData(gvc, graph.get(), "svg", &data, &length);
  const std::unique_ptr<char, void (*)(char*)> owned(data, &gvFreeRenderData);
  if (rendered != 0 || data == nullptr) fail(dot, "render", messages);
  return inline_svg(std::string(data, length));
}

// Drops `text` from each `open` to the next `close` (inclusive), and the line break after it.
std::string drop_spans(const std::string& text, std::string_view open, std::string_view close) {
  std::string out;
  std::size_t from = 0;
  for (std::size_t start = text.find(open); start != std::string::npos; start = text.find(open, from)) {
    out.append(text, from, start - from);
    const std::size_t end = text.find(close, start + open.size());
    if (end == std::string::npos) return out;
    from = end + close.size();
    if (from < text.size() && text[from] == '\n') ++from;
  }
  return out.append(text, from);
}

}  // namespace

std::string inline_svg(const std::string& svg) {
  // The prolog, the doctype and Graphviz's header comments come before the <svg> element; the rest of the
  // comments and the <title> elements hold DOT ids ("n5", "n4->n5"), which a hovering reader would see.
  // Text content cannot hold "<!--" or "<title>": Graphviz writes '<' as "&lt;".
  const std::size_t root = svg.find("<svg");
  return drop_spans(drop_spans(root == std::string::npos ? svg : svg.substr(root), "<!--", "-->"), "<title>",
                    "</title>");
}

std::vector<std::string> svg_from_dot(const std::vector<DotText>& dots) {
  std::vector<std::string> svgs;
  const std::lock_guard lock(graphviz_mutex);
  std::string messages;
  const CollectedMessages collected(messages);
  // One context for the process, never freed: Graphviz 2.43's pango text layout keeps a pointer into the
  // context's font table after the context is freed, and reads it when the next context measures text (a
  // heap-use-after-free under ASan). The context stays reachable, so LeakSanitizer does not count it.
  static GVC_t* const gvc = gvContext();
  if (gvc == nullptr) throw Error("Graphviz could not start (gvContext failed): " + messages);
  for (const DotText& dot : dots) {
    messages.clear();
    svgs.push_back(render(gvc, dot, messages));
  }
  return svgs;
}

}  // namespace cnnzoo::html

// Graphviz 2.43 leaks inside gvLayout(): the dot layout's virtual nodes and edges around clusters, and the
// caches of its text measurement (pango, fontconfig); gvFreeLayout() does not reclaim them and no call
// can. The sanitizers' default fast unwinder stops in Graphviz's frames (built without frame pointers), so
// such a leak's stack shows Graphviz's allocator and no more: the suppressions have to name the libraries,
// and would hide a layout this file forgot to free too. So everything here is freed by RAII (DotGraph,
// Layout, the rendered buffer), and was checked once with whole stacks (ASAN_OPTIONS=
// fast_unwind_on_malloc=0): every leak left lay under dot_rank, dot_mincross or textspan_size.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define CNNZOO_LEAK_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(CNNZOO_LEAK_SANITIZER)
extern "C" const char* __lsan_default_suppressions() {  // NOLINT: the name the sanitizer runtime looks up
  return "leak:libgvc.so\nleak:libgvplugin_dot_layout.so\nleak:libgvplugin_pango.so\nleak:libfontconfig.so\n"
         "leak:libpango\n";
}
#endif
