#include "learner/options.hpp"

#include "core/machine.hpp"

namespace slift::learner {

TrainOptions parse_train(config::Section& s) {
  TrainOptions o;
  o.models = s.get("models", o.models, config::Check<std::vector<std::string>>([](const std::vector<std::string>& v) {
                     for (const auto& m : v)
                       if (m != "sl" && m != "deterministic" && m != "ardm")
                         return std::optional<std::string>("unknown model '" + m + "' (sl, deterministic, ardm)");
                     if (v.empty()) return std::optional<std::string>("at least one model is needed");
                     return std::optional<std::string>();
                   }));
  o.arch = s.get("arch", o.arch, config::one_of({"mlp", "unet"}));
  o.width = s.get("width", o.width, config::at_least(1));
  o.depth = s.get("depth", o.depth, config::at_least(1));
  o.activation = s.get("activation", o.activation, config::one_of({"silu", "relu", "gelu", "tanh"}));
  o.unet_widths = s.get("unet_widths", o.unet_widths, config::Check<std::vector<int64_t>>([](const std::vector<int64_t>& v) {
                          if (v.empty()) return std::optional<std::string>("at least one level is needed");
                          for (auto w : v)
                            if (w < 8 || w % 8) return std::optional<std::string>("widths must be multiples of 8 (GroupNorm(8))");
                          return std::optional<std::string>();
                        }));
  o.unet_blocks = s.get("unet_blocks", o.unet_blocks, config::at_least(1));
  o.embed_dim = s.get("embed_dim", o.embed_dim, config::at_least(1));
  o.conditioning = s.get("conditioning", o.conditioning, config::one_of({"film", "shift"}));
  o.label_dim = s.get("label_dim", o.label_dim, config::at_least(0));
  o.window = s.get("window", o.window, config::at_least(1));
  o.shuffle_fraction = s.get("shuffle_fraction", o.shuffle_fraction, config::in_range(0, 1));
  o.target = s.get("target", o.target, config::one_of({"next", "final"}));
  if (o.target == "final" && o.arch != "unet")
    s.fail("target", "target final (the direct initial-to-final map) is for fields: it needs arch unet");
  if (o.target == "final")
    for (const auto& m : o.models)
      if (m == "ardm") s.fail("target", "target final trains sl and deterministic only (drop ardm from train.models)");
  o.output = s.get("output", o.output, config::one_of({"increment", "extrapolation"}));
  if (o.output == "extrapolation" && o.arch != "unet")
    s.fail("output", "output extrapolation is for fields: it needs arch unet");
  if (o.output == "extrapolation" && o.window < 2)
    s.fail("output", "output extrapolation needs the last two frames: window >= 2");
  o.label_channels = s.get("label_channels", o.label_channels);
  if (o.label_channels && o.arch != "unet") s.fail("label_channels", "label channels are UNet input channels: arch unet");
  o.iterations = s.get("iterations", o.iterations, config::at_least(1));
  o.batch_size = s.get("batch_size", o.batch_size, config::at_least(1));
  o.warmup = s.get("warmup", o.warmup, config::at_least(0));
  o.checkpoint_every = s.get("checkpoint_every", o.checkpoint_every, config::at_least(1));
  o.log_every = s.get("log_every", o.log_every, config::at_least(1));
  o.lr = s.get("lr", o.lr, config::positive());
  o.weight_decay = s.get("weight_decay", o.weight_decay, config::non_negative());
  o.grad_clip = s.get("grad_clip", o.grad_clip, config::non_negative());
  o.device = s.get("device", o.device, config::one_of({"auto", "cpu", "cuda"}));
  o.threads = s.get("threads", o.threads, config::int_range(0, machine::max_threads()));
  o.ranks = s.get("ranks", o.ranks, config::int_range(1, 4096));
  if (o.batch_size % o.ranks)
    s.fail("ranks", "batch_size " + std::to_string(o.batch_size) + " does not split evenly over " +
                        std::to_string(o.ranks) + " ranks: make it a multiple of the rank count");
  o.precision = s.get("precision", o.precision, config::one_of({"float32", "bfloat16"}));
  o.deterministic = s.get("deterministic", o.deterministic);
  o.channels_last = s.get("channels_last", o.channels_last);
  if (o.channels_last && o.arch != "unet") s.fail("channels_last", "channels_last is a UNet memory layout: arch unet");
  o.ardm_prediction = s.get("ardm_prediction", o.ardm_prediction, config::one_of({"eps", "v"}));
  o.ardm_train_steps = s.get("ardm_train_steps", o.ardm_train_steps, config::at_least(1));
  s.finish();
  return o;
}

SampleOptions parse_sample(config::Section& s) {
  SampleOptions o;
  o.n_trajectories = s.get("n_trajectories", o.n_trajectories, config::at_least(0));
  o.batch_size = s.get("batch_size", o.batch_size, config::at_least(1));
  o.device = s.get("device", o.device, config::one_of({"auto", "cpu", "cuda"}));
  o.precision = s.get("precision", o.precision, config::one_of({"float32", "bfloat16"}));
  o.ardm_steps = s.get("ardm_steps", o.ardm_steps, config::Check<std::vector<int64_t>>([](const std::vector<int64_t>& v) {
                         for (auto k : v)
                           if (k < 1) return std::optional<std::string>("diffusion steps must be >= 1");
                         return std::optional<std::string>();
                       }));
  s.finish();
  return o;
}

EvaluateOptions parse_evaluate(config::Section& s) {
  EvaluateOptions o;
  o.conditional_states = s.get("conditional_states", o.conditional_states, config::at_least(0));
  o.conditional_samples = s.get("conditional_samples", o.conditional_samples, config::at_least(2));
  o.sliced_projections = s.get("sliced_projections", o.sliced_projections, config::at_least(1));
  o.crossing_threshold = s.get("crossing_threshold", o.crossing_threshold, config::in_range(0, 1));
  o.crossing_mask = s.get("crossing_mask", o.crossing_mask, config::one_of({"auto", "edges", "corner"}));
  o.corner_size = s.get("corner_size", o.corner_size, config::at_least(0));
  o.points = s.get("points", o.points, config::Check<std::vector<double>>([](const std::vector<double>& v) {
                     if (v.size() % 2) return std::optional<std::string>("points are (x, y) pairs: an even number of values");
                     for (double f : v)
                       if (!(f >= 0 && f <= 1)) return std::optional<std::string>("points are fractions of the grid in [0, 1]");
                     return std::optional<std::string>();
                   }));
  o.bootstrap = s.get("bootstrap", o.bootstrap, config::Check<int64_t>([](int64_t b) {
                        if (b == 0 || b >= 2) return std::optional<std::string>();
                        return std::optional<std::string>("0 (no standard errors) or at least 2 resamples");
                      }));
  s.finish();
  return o;
}

}  // namespace slift::learner
