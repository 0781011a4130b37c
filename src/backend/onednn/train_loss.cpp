// Softmax cross-entropy on every graph output: the first with weight 1, the others (GoogLeNet's
// auxiliary heads) with the auxiliary weight. Seeds the backward pass with d(loss)/d(logits).
#include <limits>

#include "backend/onednn/plain_fallback.h"
#include "backend/onednn/trainer.h"
#include "cnnzoo/reference.h"

namespace cnnzoo::onednn {

void lower_loss(Trainer& t, const std::vector<BufferId>& outputs) {
  TrainingState& state = t.training_state();
  state.losses.assign(outputs.size(), 0.0);
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const ValueId v = t.graph().outputs()[i];
    const Dims& shape = t.graph().shape(v);
    const BufferId dlogits = t.plan().add_buffer(plain_md(shape), t.graph().value(v).name + ".dloss");
    const double weight = i == 0 ? 1.0 : t.options().aux_loss_weight;
    Plan& plan = t.plan();
    t.custom("loss", {outputs[i], dlogits},
             [&plan, &state, i, logits = outputs[i], dlogits, shape, weight, smoothing = t.options().label_smoothing] {
               const ref::In<float> in = plain_in(plan, logits, shape);
               const ref::Out<float> grad = plain_out(plan, dlogits, shape);
               state.losses[i] = ref::softmax_cross_entropy<float>(in, state.labels, smoothing, grad);
               if (state.forward_watch && state.forward_watch->happened()) {
                 state.losses[i] = std::numeric_limits<double>::quiet_NaN();
               }
               for (float& g : grad.data) g = static_cast<float>(g * weight);
             });
    t.add_gradient(v, dlogits, "loss");
  }
}

}  // namespace cnnzoo::onednn
