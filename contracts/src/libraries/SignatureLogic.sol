// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IRiskOracle} from "../interfaces/IRiskOracle.sol";

/// @title SignatureLogic
/// @notice ECDSA recovery for the k-of-n checks of RiskOracle and CreditScoreRegistry, straight on the precompile.
library SignatureLogic {
    /// @dev secp256k1n / 2: signatures with a larger `s` are malleable twins and refused (EIP-2).
    uint256 internal constant HALF_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @notice The signer of `digest`, or address(0) when the signature is malformed (high s, bad v, off-curve r).
    function recover(bytes32 digest, IRiskOracle.Signature calldata sig) internal pure returns (address) {
        if (uint256(sig.s) > HALF_ORDER) return address(0);
        return ecrecover(digest, sig.v, sig.r, sig.s);
    }
}
