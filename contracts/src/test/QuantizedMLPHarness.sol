// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {QuantizedMLP} from "../verifier/QuantizedMLP.sol";

/// @notice Exposes the library for the TypeScript ↔ Solidity differential test.
contract QuantizedMLPHarness {
    function infer(bytes calldata weights, bytes calldata features) external pure returns (QuantizedMLP.Result memory) {
        return QuantizedMLP.infer(weights, features);
    }
}
