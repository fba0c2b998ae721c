// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title QuantizedMLP
/// @notice The canonical quantised credit model (docs/canonical-model.md), bit-exact with models/quantize in
/// TypeScript: Q16 integer layers with clipped ReLU, a piecewise-linear sigmoid and an integer scorecard.
/// @dev Weights and features are packed big-endian int32 (see the spec). `>>` on int256 rounds toward negative
/// infinity, exactly as BigInt `>>` and the spec's floor division.
library QuantizedMLP {
    error QuantizedMLPUnsupportedVersion(uint8 version);
    error QuantizedMLPMalformedWeights(uint256 length, uint256 expected);
    error QuantizedMLPInputMismatch(uint256 features, uint256 inputs);

    int256 internal constant ONE = 65536;
    int256 internal constant MAX_ACTIVATION = 1 << 20;
    uint256 internal constant WAD = 1e18;

    struct Result {
        int256 z;
        uint256 pQ;
        uint256 pd;
        uint256 score;
    }

    function _i32(bytes calldata data, uint256 offset) private pure returns (int256 v) {
        assembly {
            v := signextend(3, shr(224, calldataload(add(data.offset, offset))))
        }
    }

    function _u16(bytes calldata data, uint256 offset) private pure returns (uint256 v) {
        assembly {
            v := shr(240, calldataload(add(data.offset, offset)))
        }
    }

    /// @notice Round(65536 / (1 + e^-k)) for k = -8 … 8.
    function _knot(int256 k) private pure returns (int256) {
        uint256[17] memory s = [uint256(22), 60, 162, 439, 1179, 3108, 7812, 17625, 32768, 47911, 57724, 62428, 64357, 65097, 65374, 65476, 65514];
        return int256(s[uint256(k + 8)]);
    }

    function _sigmoid(int256 z) private pure returns (int256) {
        if (z <= -8 * ONE) return _knot(-8);
        if (z >= 8 * ONE) return _knot(8);
        int256 k = z >> 16;
        int256 frac = z - k * ONE;
        int256 lo = _knot(k);
        return lo + (((_knot(k + 1) - lo) * frac) >> 16);
    }

    function _clamp(int256 v, int256 lo, int256 hi) private pure returns (int256) {
        return v < lo ? lo : v > hi ? hi : v;
    }

    /// @notice Checks the weights header and length, returning the layer widths.
    function dims(bytes calldata weights) internal pure returns (uint256[] memory d) {
        if (weights.length < 2 || uint8(weights[0]) != 1) revert QuantizedMLPUnsupportedVersion(weights.length == 0 ? 0 : uint8(weights[0]));
        uint256 layers = uint8(weights[1]);
        d = new uint256[](layers + 1);
        uint256 count = 2;
        for (uint256 i; i <= layers; ++i) {
            d[i] = _u16(weights, 2 + 2 * i);
            if (i > 0) count += d[i] * (d[i - 1] + 1);
        }
        uint256 expected = 2 + 2 * (layers + 1) + 4 * count;
        if (weights.length != expected) revert QuantizedMLPMalformedWeights(weights.length, expected);
    }

    /// @dev One layer: `a` in, activations out; `o` is where its weights start, the return where the next layer's do.
    function _layer(bytes calldata weights, int256[] memory a, uint256 o, uint256 outputs, bool last)
        private
        pure
        returns (int256[] memory next, uint256 end)
    {
        uint256 inputs = a.length;
        uint256 biasAt = o + 4 * inputs * outputs;
        next = new int256[](outputs);
        for (uint256 j; j < outputs; ++j) {
            int256 acc;
            for (uint256 i; i < inputs; ++i) {
                acc += _i32(weights, o) * a[i];
                o += 4;
            }
            int256 v = (acc >> 16) + _i32(weights, biasAt + 4 * j);
            next[j] = last ? v : _clamp(v, 0, MAX_ACTIVATION);
        }
        end = biasAt + 4 * outputs;
    }

    /// @notice Runs the model on packed features; returns the log-odds, the PD (Q16 and WAD) and the score.
    function infer(bytes calldata weights, bytes calldata features) internal pure returns (Result memory r) {
        uint256[] memory d = dims(weights);
        if (features.length != 4 * d[0]) revert QuantizedMLPInputMismatch(features.length / 4, d[0]);
        int256[] memory a = new int256[](d[0]);
        for (uint256 i; i < d[0]; ++i) a[i] = _i32(features, 4 * i);
        uint256 o = 2 + 2 * d.length;
        for (uint256 l = 1; l < d.length; ++l) (a, o) = _layer(weights, a, o, d[l], l == d.length - 1);
        r.z = _clamp(a[0], -MAX_ACTIVATION, MAX_ACTIVATION);
        r.pQ = uint256(_sigmoid(r.z));
        r.pd = (r.pQ * WAD) >> 16;
        int256 offsetQ = _i32(weights, o);
        int256 factorQ = _i32(weights, o + 4);
        r.score = uint256(_clamp((offsetQ - ((factorQ * r.z) >> 16)) >> 16, 300, 850));
    }
}
