// The network drawn with Graphviz (graph_drawing.h): the module tree of analyze()'s module view, a plan of
// what each drawing shows, and the DOT text of each drawing.
#include "html/graph_drawing.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <tuple>
#include <unordered_map>

#include "analysis/units.h"
#include "cnnzoo/analysis.h"
#include "cnnzoo/error.h"
#include "html/graph_dot_text.h"
#include "html/graph_svg.h"

namespace cnnzoo::html {
namespace {

constexpr int kClusterLevels = 2;        // a drawing groups stages and their blocks
constexpr int kMaxModuleDepth = 6;       // nodes named deeper are drawn flat in their sixth-level module
constexpr std::size_t kLabelChars = 40;  // of a name in a box
constexpr std::size_t kTooltipChars = 200;
// Graphviz's crossing minimisation and placement grow faster than the edges: DenseNet-201's third dense
// block (336 nodes, 1,513 edges: each layer reads every earlier one) took about 30 s at its defaults on a
// busy 2-core machine. A drawing with more edges than this gets fewer iterations (nslimit, mclimit): about
// 2 s there, a few more crossings. ResNet-152's layer3 (399 edges) keeps the defaults.
constexpr std::size_t kQuickLayoutEdges = 400;
// A module holding more than this share of the graph's nodes wraps its stages (torchvision's `features`).
constexpr double kWrapperShare = 0.75;

// ---- The module tree

enum class ItemKind { Node, Module, Run };

// What a drawing shows as one box or cluster: an IR node, a module (consecutive nodes under one name
// prefix, as analyze() groups them), or a run of top-level items cut from a graph too flat to show whole.
struct Item {
  ItemKind kind = ItemKind::Module;
  std::string name;
  std::vector<NodeId> nodes;          // in order; consecutive ids
  std::vector<std::size_t> children;  // items, in order; together they hold `nodes`
  int64_t params = 0;                 // trainable
  int64_t macs = 0;
};

struct Tree {
  std::vector<Item> items;
  std::vector<std::size_t> roots;
};

int module_depth(const Graph& g) {
  std::size_t deepest = 1;
  for (const Node& n : g.nodes()) {
    deepest = std::max<std::size_t>(deepest, 1 + static_cast<std::size_t>(std::ranges::count(n.name, '.')));
  }
  return static_cast<int>(std::min<std::size_t>(deepest, kMaxModuleDepth));
}

// The rows of analyze()'s module view, nested by their level.
Tree tree_of_rows(const Analysis& analysis) {
  Tree tree;
  std::vector<std::size_t> open;  // the open item of each level, outermost first
  for (const LayerRow& row : analysis.layers) {
    const std::size_t index = tree.items.size();
    tree.items.push_back({ItemKind::Module, row.name, row.nodes, {}, row.params, row.macs});
    open.resize(static_cast<std::size_t>(row.level - 1));
    (open.empty() ? tree.roots : tree.items[open.back()].children).push_back(index);
    open.push_back(index);
  }
  return tree;
}

// The item of one IR node with its own figures.
Item node_item(const Graph& g, NodeId id) {
  const Node& n = g.node(id);
  Item item{ItemKind::Node, n.name, {id}, {}, 0, node_cost(g, id).macs};
  for (const ParamSpec& p : n.params) item.params += p.kind == ParamKind::Trainable ? numel(p.shape) : 0;
  return item;
}

void complete(const Graph& g, Tree& tree, std::size_t index);

// `children` with an item added for each of `nodes` that none of them holds: a row of the module view may
// hold nodes beside its sub-modules (a node "a.b" and a module "a.b.c"), or below the deepest level.
std::vector<std::size_t> covering(const Graph& g, Tree& tree, const std::vector<NodeId>& nodes,
                                  const std::vector<std::size_t>& children) {
  std::unordered_map<NodeId, std::size_t> child_from;  // first node -> child
  for (std::size_t c : children) child_from[tree.items[c].nodes.front()] = c;
  std::vector<std::size_t> covered;
  for (std::size_t i = 0; i < nodes.size();) {
    const auto child = child_from.find(nodes[i]);
    if (child != child_from.end()) {
      covered.push_back(child->second);
      i += tree.items[child->second].nodes.size();
      complete(g, tree, child->second);
    } else {
      covered.push_back(tree.items.size());
      tree.items.push_back(node_item(g, nodes[i]));
      ++i;
    }
  }
  return covered;
}

// Turns the row of a single node of that name into a Node item, and completes a module's children.
void complete(const Graph& g, Tree& tree, std::size_t index) {
  Item& item = tree.items[index];
  if (item.children.empty() && item.nodes.size() == 1 && g.node(item.nodes[0]).name == item.name) {
    item.kind = ItemKind::Node;
    return;
  }
  const std::vector<NodeId> nodes = item.nodes;
  const std::vector<std::size_t> children = item.children;
  std::vector<std::size_t> covered = covering(g, tree, nodes, children);  // may move `item`
  tree.items[index].children = std::move(covered);
}

Tree module_tree(const Graph& g) {
  AnalysisOptions options;
  options.depth_view = module_depth(g);
  Tree tree = tree_of_rows(analyze(g, options));
  std::vector<NodeId> all(g.nodes().size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<NodeId>(i);
  const std::vector<std::size_t> roots = tree.roots;
  tree.roots = covering(g, tree, all, roots);
  return tree;
}

// ---- The plan: what the overview shows and which parts there are

struct Plan {
  Tree tree;
  bool whole = true;                    // the overview shows every node
  std::vector<std::size_t> overview;    // its top-level items
  std::vector<bool> opened;             // per item: the overview draws it as a cluster around its children
  std::vector<std::size_t> parts;       // the items the overview shows as boxes, in node order
  std::vector<std::string> part_names;  // unique
  std::vector<bool> batched;            // per value: whether its first dimension is the batch
};

// A value has a batch dimension when it derives from a graph input (a constant of an imported graph has not).
std::vector<bool> batched_values(const Graph& g) {
  std::vector<bool> batched(g.values().size(), false);
  for (ValueId v : g.inputs()) batched[static_cast<std::size_t>(v)] = true;
  for (const Node& n : g.nodes()) {
    batched[static_cast<std::size_t>(n.output)] =
        std::ranges::any_of(n.inputs, [&](ValueId v) { return batched[static_cast<std::size_t>(v)]; });
  }
  return batched;
}

std::size_t add_run(Tree& tree, const std::vector<std::size_t>& members) {
  Item run{ItemKind::Run, "", {}, members, 0, 0};
  for (std::size_t m : members) {
    const Item& member = tree.items[m];
    run.nodes.insert(run.nodes.end(), member.nodes.begin(), member.nodes.end());
    run.params += member.params;
    run.macs += member.macs;
  }
  run.name = fmt::format("nodes {}-{}", run.nodes.front() + 1, run.nodes.back() + 1);
  tree.items.push_back(std::move(run));
  return tree.items.size() - 1;
}

// Consecutive `items` as runs of near equal node counts, at most kMaxWholeNodes each where the items allow;
// a run of one item is that item.
std::vector<std::size_t> cut_into_runs(Tree& tree, const std::vector<std::size_t>& items, std::size_t nodes) {
  const std::size_t runs_wanted = (nodes + kMaxWholeNodes - 1) / kMaxWholeNodes;
  const std::size_t target = (nodes + runs_wanted - 1) / runs_wanted;
  std::vector<std::size_t> runs;
  std::vector<std::size_t> run;
  std::size_t run_nodes = 0;
  const auto close_run = [&] {
    if (run.size() > 1) runs.push_back(add_run(tree, run));
    if (run.size() == 1) runs.push_back(run.front());
    run.clear();
    run_nodes = 0;
  };
  for (std::size_t i : items) {
    const std::size_t size = tree.items[i].nodes.size();
    if (!run.empty() && run_nodes + size > target) close_run();
    run.push_back(i);
    run_nodes += size;
  }
  close_run();
  return runs;
}

// Opens the modules that wrap the stages (more than kWrapperShare of the nodes, and more than kMaxWholeNodes),
// largest first, while the overview then shows at most kMaxOverviewItems items. A large stage is no wrapper:
// ResNet-152's layer3 holds 70% of its nodes, and opening it would show its blocks beside whole stages.
void open_wrappers(Plan& plan, std::size_t total_nodes) {
  const std::vector<Item>& items = plan.tree.items;
  std::size_t shown = plan.overview.size();
  std::vector<std::size_t> candidates;
  const auto consider = [&](const std::vector<std::size_t>& members) {
    for (std::size_t m : members) {
      const std::size_t size = items[m].nodes.size();
      if (items[m].kind == ItemKind::Module && size > kMaxWholeNodes &&
          static_cast<double>(size) > kWrapperShare * static_cast<double>(total_nodes)) {
        candidates.push_back(m);
      }
    }
  };
  consider(plan.overview);
  while (!candidates.empty()) {
    const auto largest = std::ranges::max_element(
        candidates, [&](std::size_t a, std::size_t b) { return items[a].nodes.size() < items[b].nodes.size(); });
    const std::size_t module = *largest;
    candidates.erase(largest);
    if (shown - 1 + items[module].children.size() > kMaxOverviewItems) continue;
    plan.opened[module] = true;
    shown += items[module].children.size() - 1;
    consider(items[module].children);
  }
}

void collect_parts(Plan& plan, const std::vector<std::size_t>& members) {
  for (std::size_t m : members) {
    if (plan.opened[m]) {
      collect_parts(plan, plan.tree.items[m].children);
    } else if (plan.tree.items[m].kind != ItemKind::Node) {
      plan.parts.push_back(m);
    }
  }
}

// Part names as the modules' names; a module that comes back later in the node order (an imported graph's
// names need not be grouped) gets its count: "block (2)". A module named "" (nodes ".a", ".b") would be
// taken for the overview by graph_dot().
void name_parts(Plan& plan) {
  std::unordered_map<std::string, int> seen;
  for (std::size_t part : plan.parts) {
    const std::string name = plan.tree.items[part].name.empty() ? "(unnamed)" : plan.tree.items[part].name;
    const int count = ++seen[name];
    plan.part_names.push_back(count == 1 ? name : fmt::format("{} ({})", name, count));
  }
}

Plan make_plan(const Graph& g) {
  Plan plan;
  plan.tree = module_tree(g);
  plan.batched = batched_values(g);
  plan.overview = plan.tree.roots;
  plan.whole = g.nodes().size() <= kMaxWholeNodes;
  if (!plan.whole) {
    if (plan.overview.size() > kMaxOverviewItems)
      plan.overview = cut_into_runs(plan.tree, plan.overview, g.nodes().size());
    plan.opened.assign(plan.tree.items.size(), false);
    open_wrappers(plan, g.nodes().size());
    collect_parts(plan, plan.overview);
    name_parts(plan);
  }
  plan.opened.resize(plan.tree.items.size(), false);
  return plan;
}

// ---- Labels

std::string hw_text(Hw hw) { return fmt::format("{}x{}", hw.h, hw.w); }

// " 3x3 /2": a window and the stride it moves by, when not 1.
std::string window_text(Hw kernel, Hw stride) {
  if (stride == Hw{1}) return fmt::format(" {}", hw_text(kernel));
  return fmt::format(" {} /{}", hw_text(kernel), stride.h == stride.w ? std::to_string(stride.h) : hw_text(stride));
}

// "conv 7x7 /2", "maxpool 3x3 /2", "adaptive_avgpool to 1x1", "relu".
std::string op_text(const Node& n) {
  std::string text(op_name(n.op));
  if (const auto* conv = std::get_if<attr::Conv>(&n.attrs)) {
    text += window_text(conv->kernel, conv->stride);
    if (conv->dilation != Hw{1}) text += " dilation " + to_string(conv->dilation);
    if (conv->groups != 1) text += fmt::format(" groups {}", conv->groups);
  } else if (const auto* pool = std::get_if<attr::Pool>(&n.attrs)) {
    text += window_text(pool->kernel, pool->effective_stride());
  } else if (const auto* adaptive = std::get_if<attr::AdaptiveAvgPool>(&n.attrs)) {
    text += " to " + hw_text(adaptive->output);
  }
  return text;
}

// "64x56x56": a value's shape without its batch dimension.
std::string shape_text(const Graph& g, const Plan& plan, ValueId v) {
  const Dims& shape = g.shape(v);
  if (!plan.batched[static_cast<std::size_t>(v)] || shape.empty()) return to_string(shape);
  return to_string(Dims(shape.begin() + 1, shape.end()));
}

// "9.4 K params · 118.01 M MACs", leaving out a zero.
std::string figures_text(int64_t params, int64_t macs) {
  std::vector<std::string> figures;
  if (params != 0) figures.push_back(count_text(params) + " params");
  if (macs != 0) figures.push_back(count_text(macs) + " MACs");
  return fmt::format("{}", fmt::join(figures, " \u00b7 "));
}

// The lines of a label that have something to say (a ReLU has no figures line).
std::vector<std::string> label_lines(std::vector<std::string> lines) {
  std::erase(lines, std::string());
  return lines;
}

// The fill of a node's box: one calm colour per kind of op.
std::string_view fill_of(OpKind op) {
  switch (op_family(op)) {
    case OpFamily::Conv:
      return "#d4e4f4";
    case OpFamily::Pool:
      return "#d9eed6";
    case OpFamily::BatchNorm:
    case OpFamily::Lrn:
    case OpFamily::Activation:
    case OpFamily::Softmax:
    case OpFamily::Dropout:
      return "#f6eed6";
    case OpFamily::Linear:
      return "#e6daf0";
    case OpFamily::Concat:
    case OpFamily::Add:
    case OpFamily::ChannelMul:
    case OpFamily::ChannelPad:
      return "#f8dcc9";
    case OpFamily::ChannelAffine:  // a fixed input transform, drawn as the preprocessing it is
    case OpFamily::View:
    case OpFamily::TensorOp:
    case OpFamily::Constant:
      break;
  }
  return "#eceff3";
}

// ---- DOT

// One drawing being written: its statements, and the DOT id that shows each IR node in it (none when the
// node lies outside the drawing).
struct Drawing {
  const Graph& graph;
  const Plan& plan;
  std::string prefix;     // of the SVG ids
  bool part = false;      // a part: values from and to the rest of the graph cross its border
  bool collapse = false;  // modules not opened are boxes (the overview of a large graph)
  std::vector<std::string> shown_as;
  std::set<ValueId> borders;  // values with a border box that brings them in
  std::string body;
  std::string edges;
  std::set<std::tuple<std::string, std::string, ValueId>> edge_keys;

  Drawing(const Graph& g, const Plan& p, std::string id_prefix, bool is_part)
      : graph(g),
        plan(p),
        prefix(std::move(id_prefix)),
        part(is_part),
        collapse(!is_part && !p.whole),
        shown_as(g.nodes().size()) {}

  std::string id(std::string_view local) const { return dot_quoted(prefix + "_" + std::string(local)); }
};

// Where an item is drawn: the clusters it may still open below it, how deep it is nested, and the name of
// the innermost module drawn around it, which its label leaves out ("conv1" inside "layer1.0").
struct Nesting {
  int levels = kClusterLevels;
  int depth = 0;
  std::string_view scope{};
};

std::string name_in(std::string_view scope, const std::string& name) {
  const bool inside =
      !scope.empty() && name.size() > scope.size() + 1 && name.starts_with(scope) && name[scope.size()] == '.';
  return shortened(inside ? std::string_view(name).substr(scope.size() + 1) : name, kLabelChars);
}

std::string nodes_text(std::size_t count) { return count == 1 ? "1 node" : fmt::format("{} nodes", count); }

// The tooltip of a node, box or cluster: its whole name and exact figures.
std::string tooltip(const std::string& name, const std::string& what, int64_t params, int64_t macs) {
  return dot_quoted(fmt::format("{}: {}, {} params, {} MACs", shortened(name, kTooltipChars), what, with_commas(params),
                                with_commas(macs)));
}

void write_node(Drawing& d, const Item& item, const Nesting& at) {
  const NodeId id = item.nodes.front();
  const Node& n = d.graph.node(id);
  const std::string dot_id = fmt::format("n{}", id);
  const std::string shape = shape_text(d.graph, d.plan, n.output);
  d.body += fmt::format(
      "{} [id={} label={} tooltip={} fillcolor=\"{}\"];\n", dot_id, d.id(dot_id),
      dot_lines(label_lines({name_in(at.scope, n.name), op_text(n), shape, figures_text(item.params, item.macs)})),
      tooltip(n.name, fmt::format("{}, output {}", op_text(n), shape), item.params, item.macs), fill_of(n.op));
  d.shown_as[static_cast<std::size_t>(id)] = dot_id;
}

// A collapsed module or run: one box with its figures, standing for all its nodes.
void write_box(Drawing& d, std::size_t index, const Nesting& at) {
  const Item& item = d.plan.tree.items[index];
  const std::string dot_id = fmt::format("m{}", index);
  const std::string shape = shape_text(d.graph, d.plan, d.graph.node(item.nodes.back()).output);
  const std::string count = nodes_text(item.nodes.size());
  d.body +=
      fmt::format("{} [id={} label={} tooltip={} fillcolor=\"#ffffff\" style=\"rounded,filled,bold\" penwidth=1.6];\n",
                  dot_id, d.id(dot_id),
                  dot_lines(label_lines({name_in(at.scope, item.name), count + " \u00b7 " + shape,
                                         figures_text(item.params, item.macs)})),
                  tooltip(item.name, fmt::format("{}, output {}", count, shape), item.params, item.macs));
  for (NodeId id : item.nodes) d.shown_as[static_cast<std::size_t>(id)] = dot_id;
}

void write_item(Drawing& d, std::size_t index, const Nesting& at);

// A module as a cluster: a labelled frame around its members, shaded deeper for each level of nesting.
void write_cluster(Drawing& d, std::size_t index, const Nesting& at) {
  const Item& item = d.plan.tree.items[index];
  d.body += fmt::format(
      "subgraph cluster_{} {{\ngraph [id={} label={} tooltip={} fillcolor=\"{}\"];\n", index,
      d.id(fmt::format("c{}", index)),
      dot_lines(label_lines({shortened(item.name, kLabelChars), figures_text(item.params, item.macs)}), true),
      tooltip(item.name, nodes_text(item.nodes.size()), item.params, item.macs),
      at.depth % 2 == 0 ? "#f4f6f9" : "#e8ecf1");
  for (std::size_t child : item.children) write_item(d, child, {at.levels - 1, at.depth + 1, item.name});
  d.body += "}\n";
}

// An item as its drawing shows it: a node; in a collapsing overview a box unless opened; a cluster while
// levels of clusters remain; else its members, flat.
void write_item(Drawing& d, std::size_t index, const Nesting& at) {
  const Item& item = d.plan.tree.items[index];
  if (item.kind == ItemKind::Node) return write_node(d, item, at);
  const bool opened = d.plan.opened[index];
  if (d.collapse && !opened) return write_box(d, index, at);
  // A frame around a single node would say nothing its label does not.
  const bool framed = item.kind == ItemKind::Module && item.nodes.size() > 1 && (opened || at.levels > 0);
  if (framed) return write_cluster(d, index, at);
  for (std::size_t child : item.children) write_item(d, child, at);
}

void add_edge(Drawing& d, const std::string& from, const std::string& to, ValueId v) {
  if (from == to || !d.edge_keys.emplace(from, to, v).second) return;
  d.edges += fmt::format("{} -> {} [id={}];\n", from, to, d.id(fmt::format("e{}", d.edge_keys.size() - 1)));
}

// "output", with the output's name where it is not its producer's ("output logits") or where there are
// several (GoogLeNet's "output aux1.fc2").
std::string output_text(const Graph& g, ValueId v) {
  const Value& value = g.value(v);
  const bool named = g.outputs().size() > 1 || value.producer == kNoNode || g.node(value.producer).name != value.name;
  return named ? "output " + value.name : "output";
}

// An oval for a graph input or output, or a dashed box for a value that crosses a part's border.
void write_terminal(Drawing& d, const std::string& dot_id, const std::string& text, ValueId v, bool border) {
  d.body += fmt::format(
      "{} [id={} label={} {}];\n", dot_id, d.id(dot_id),
      dot_lines({shortened(text, kLabelChars), shape_text(d.graph, d.plan, v)}),
      border ? "style=\"rounded,dashed\" color=\"#9aa5b1\" fontcolor=\"#5f6b7a\"" : "shape=oval fillcolor=\"#ffffff\"");
}

// Where a value comes from in this drawing: its producer, a graph input, or a border box naming either.
std::string source_of(Drawing& d, ValueId v) {
  const Value& value = d.graph.value(v);
  if (value.producer != kNoNode && !d.shown_as[static_cast<std::size_t>(value.producer)].empty()) {
    return d.shown_as[static_cast<std::size_t>(value.producer)];
  }
  const bool input = value.producer == kNoNode;
  if (!d.part) return fmt::format("i{}", v);  // outside parts, every node is shown
  const std::string dot_id = fmt::format("b{}", v);
  if (d.borders.insert(v).second) {
    write_terminal(d, dot_id, "from " + (input ? value.name : d.graph.node(value.producer).name), v, true);
  }
  return dot_id;
}

// The border box of a value read outside a part, naming the first node that reads it there.
void write_exit(Drawing& d, NodeId id) {
  const ValueId v = d.graph.node(id).output;
  const Value& value = d.graph.value(v);
  std::vector<NodeId> outside;
  for (NodeId c : value.consumers) {
    if (d.shown_as[static_cast<std::size_t>(c)].empty() && !std::ranges::count(outside, c)) outside.push_back(c);
  }
  if (outside.empty() && !d.graph.is_output(v)) return;
  std::string text = outside.empty() ? output_text(d.graph, v) : "to " + d.graph.node(outside.front()).name;
  if (outside.size() > 1) text += fmt::format(" and {} more", outside.size() - 1);
  const std::string dot_id = fmt::format("x{}", v);
  write_terminal(d, dot_id, text, v, true);
  add_edge(d, d.shown_as[static_cast<std::size_t>(id)], dot_id, v);
}

// Edges for every value a shown node reads, in node order; a part adds its exits.
void write_edges(Drawing& d) {
  for (NodeId id = 0; id < static_cast<NodeId>(d.graph.nodes().size()); ++id) {
    const std::string& to = d.shown_as[static_cast<std::size_t>(id)];
    if (to.empty()) continue;
    for (ValueId v : d.graph.node(id).inputs) add_edge(d, source_of(d, v), to, v);
    if (d.part) write_exit(d, id);
  }
}

void write_inputs(Drawing& d) {
  for (ValueId v : d.graph.inputs()) write_terminal(d, fmt::format("i{}", v), d.graph.value(v).name, v, false);
}

void write_outputs(Drawing& d) {
  for (std::size_t k = 0; k < d.graph.outputs().size(); ++k) {
    const ValueId v = d.graph.outputs()[k];
    const std::string dot_id = fmt::format("o{}", k);
    write_terminal(d, dot_id, output_text(d.graph, v), v, false);
    add_edge(d, source_of(d, v), dot_id, v);
  }
}

// The header: one calm style for every drawing, top to bottom.
std::string dot_text(const Drawing& d) {
  constexpr std::string_view kFont = "fontname=\"Helvetica\" fontsize=10";
  return fmt::format(
      "digraph {} {{\n"
      "graph [id={} rankdir=TB {} nodesep=0.22 ranksep=0.3 bgcolor=\"transparent\" labeljust=l "
      "style=\"rounded,filled\" color=\"#b9c3ce\" fontcolor=\"#3b4654\"];\n"
      "node [shape=box style=\"rounded,filled\" {} color=\"#5f6b7a\" fontcolor=\"#1d2330\" penwidth=0.8 "
      "margin=\"0.1,0.04\"];\n"
      "edge [color=\"#7c8794\" arrowsize=0.6 penwidth=0.8];\n"
      "{}{}{}}}\n",
      dot_quoted(d.prefix), dot_quoted(d.prefix), kFont, kFont,
      d.edge_keys.size() > kQuickLayoutEdges ? "graph [nslimit=1 mclimit=0.1];\n" : "", d.body, d.edges);
}

std::string overview_dot(const Graph& g, const Plan& plan, const std::string& prefix) {
  Drawing d(g, plan, prefix, false);
  write_inputs(d);
  for (std::size_t item : plan.overview) write_item(d, item, {});
  write_edges(d);
  write_outputs(d);
  return dot_text(d);
}

std::string part_dot(const Graph& g, const Plan& plan, std::size_t part, const std::string& prefix) {
  Drawing d(g, plan, prefix, true);
  write_item(d, plan.parts[part], {});
  write_edges(d);
  return dot_text(d);
}

void check_prefix(const std::string& prefix) {
  const bool valid =
      !prefix.empty() && std::isalpha(static_cast<unsigned char>(prefix[0])) && std::ranges::all_of(prefix, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      });
  if (!valid) {
    throw OptionError({"DrawOptions::id_prefix"},
                      fmt::format("DrawOptions::id_prefix must be letters, digits, '-' and '_' starting with a "
                                  "letter, got '{}'",
                                  clean_text(prefix)));
  }
}

std::string overview_prefix(const DrawOptions& options) { return options.id_prefix + "_o"; }
std::string part_prefix(const DrawOptions& options, std::size_t part) {
  return fmt::format("{}_p{}", options.id_prefix, part);
}

}  // namespace

GraphDrawing draw_graph(const Graph& graph, const DrawOptions& options) {
  check_prefix(options.id_prefix);
  const Plan plan = make_plan(graph);
  std::vector<DotText> dots{{fmt::format("the overview of {}", clean_text(graph.name())),
                             overview_dot(graph, plan, overview_prefix(options))}};
  for (std::size_t k = 0; k < plan.parts.size(); ++k) {
    dots.push_back({fmt::format("part '{}' of {}", clean_text(plan.part_names[k]), clean_text(graph.name())),
                    part_dot(graph, plan, k, part_prefix(options, k))});
  }
  std::vector<std::string> svgs = svg_from_dot(dots);
  GraphDrawing drawing{std::move(svgs.front()), {}};
  for (std::size_t k = 0; k < plan.parts.size(); ++k) {
    const std::size_t item = plan.parts[k];
    drawing.parts.push_back({plan.part_names[k], fmt::format("{}_m{}", overview_prefix(options), item),
                             std::move(svgs[k + 1]), static_cast<int64_t>(plan.tree.items[item].nodes.size())});
  }
  return drawing;
}

std::string graph_dot(const Graph& graph, std::string_view part, const DrawOptions& options) {
  check_prefix(options.id_prefix);
  const Plan plan = make_plan(graph);
  if (part.empty()) return overview_dot(graph, plan, overview_prefix(options));
  const auto found = std::ranges::find(plan.part_names, part);
  if (found == plan.part_names.end()) {
    throw UnknownNameError(fmt::format("{} has no drawing part '{}'; its parts: {}", clean_text(graph.name()),
                                       clean_text(part),
                                       plan.part_names.empty() ? "none (the overview shows the whole graph)"
                                                               : fmt::format("{}", fmt::join(plan.part_names, ", "))));
  }
  const auto k = static_cast<std::size_t>(found - plan.part_names.begin());
  return part_dot(graph, plan, k, part_prefix(options, k));
}

}  // namespace cnnzoo::html
