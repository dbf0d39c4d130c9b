"""Supply-chain checks run by CI and make (README "Supply chain"); not part of the installed package."""
