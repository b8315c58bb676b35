"""How much of TF.js's op catalogue layerflow has (REFERENCE.md section 2), by snake_case name.

The issue's bar: every op tfjs-layers uses, and at least 160 of TF.js's ~183 distinct ops.
Run ``python -m tests.test_tfjs_coverage`` to list what is missing.
"""

from __future__ import annotations

import layerflow as lf

# TF.js top-level ops and namespaces, by the family headings of its docs (camelCase -> snake).
TFJS_OPS = {
    "creation": "tensor scalar tensor1d tensor2d tensor3d tensor4d tensor5d tensor6d buffer "
                "clone complex real imag diag eye fill linspace range one_hot ones ones_like "
                "zeros zeros_like truncated_normal variable print",
    "random": "rand random_normal random_standard_normal random_uniform random_uniform_int "
              "random_gamma multinomial",
    "transformations": "reshape squeeze expand_dims cast pad mirror_pad broadcast_to "
                       "broadcast_args batch_to_space_nd space_to_batch_nd depth_to_space "
                       "ensure_shape setdiff1d",
    "slicing_joining": "slice strided_slice gather gather_nd scatter_nd tensor_scatter_update "
                       "concat stack unstack split tile reverse boolean_mask meshgrid",
    "arithmetic": "add add_n sub mul div div_no_nan floor_div mod pow maximum minimum "
                  "squared_difference",
    "basic_math": "abs acos acosh asin asinh atan atanh atan2 ceil floor round sign "
                  "clip_by_value cos cosh sin sinh tan tanh exp expm1 log log1p sqrt rsqrt "
                  "square reciprocal neg erf is_finite is_inf is_nan step sigmoid log_sigmoid "
                  "relu relu6 elu selu leaky_relu prelu softplus",
    "matrices": "mat_mul dot outer_product transpose norm euclidean_norm einsum",
    "convolution": "conv1d conv2d conv2d_transpose conv3d conv3d_transpose depthwise_conv2d "
                   "separable_conv2d dilation2d avg_pool avg_pool3d max_pool max_pool3d "
                   "max_pool_with_argmax pool",
    "reduction": "sum mean prod max min all any arg_max arg_min log_sum_exp bincount "
                 "dense_bincount",
    "scan": "cumsum cumprod",
    "normalization": "batch_norm local_response_normalization moments softmax log_softmax "
                     "sparse_to_dense",
    "logical": "equal not_equal greater greater_equal less less_equal logical_and logical_or "
               "logical_not logical_xor bitwise_and where where_async",
    "evaluation": "topk unique lower_bound upper_bound search_sorted in_top_k",
    "segment": "unsorted_segment_sum",
    "spectral": "fft ifft rfft irfft",
    "misc": "dropout moving_average basic_lstm_cell multi_rnn_cell",
    "image": "image.resize_bilinear image.resize_nearest_neighbor image.crop_and_resize "
             "image.flip_left_right image.rotate_with_offset image.transform "
             "image.grayscale_to_rgb image.rgb_to_grayscale image.threshold "
             "image.non_max_suppression image.non_max_suppression_with_score "
             "image.non_max_suppression_padded",
    "linalg": "linalg.qr linalg.gram_schmidt linalg.band_part",
    "signal": "signal.frame signal.stft signal.hann_window signal.hamming_window",
    "losses": "losses.absolute_difference losses.compute_weighted_loss losses.cosine_distance "
              "losses.hinge_loss losses.huber_loss losses.log_loss losses.mean_squared_error "
              "losses.sigmoid_cross_entropy losses.softmax_cross_entropy",
}

# Ops tfjs-layers calls (REFERENCE.md section 2, "Ops used by tfjs-layers").
LAYERS_USE = (
    "abs add all any arg_max avg_pool avg_pool3d batch_norm cast clip_by_value clone concat "
    "conv1d conv2d conv2d_transpose conv3d conv3d_transpose dense_bincount depthwise_conv2d div "
    "dot dropout elu equal erf exp expand_dims eye fill floor gather greater greater_equal "
    "image.resize_bilinear image.resize_nearest_neighbor leaky_relu linalg.qr log log1p "
    "log_softmax log_sum_exp logical_and mat_mul max max_pool max_pool3d maximum mean min "
    "minimum moments mul neg not_equal one_hot ones ones_like pad pow prelu random_normal "
    "random_uniform range reciprocal relu reshape reverse scalar selu separable_conv2d sigmoid "
    "slice softmax softplus split sqrt square squeeze stack sub sum tanh tensor tile transpose "
    "truncated_normal unstack variable where zeros zeros_like"
).split()


def _has(name: str) -> bool:
    target = lf
    for part in name.split("."):
        target = getattr(target, part, None)
        if target is None:
            return False
    return callable(target)


def all_ops() -> list[str]:
    return sorted({op for text in TFJS_OPS.values() for op in text.split()})


def missing() -> list[str]:
    return [op for op in all_ops() if not _has(op)]


def test_every_op_tfjs_layers_uses_exists():
    assert [op for op in LAYERS_USE if not _has(op)] == []


def test_at_least_160_tfjs_ops():
    present = len(all_ops()) - len(missing())
    assert present >= 160, f"{present} of {len(all_ops())}; missing: {missing()}"


if __name__ == "__main__":
    gone = missing()
    print(f"{len(all_ops()) - len(gone)} of {len(all_ops())} TF.js ops; missing: {gone}")
