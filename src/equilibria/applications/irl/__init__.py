"""Inverse reinforcement learning. Import the submodules directly (e.g. ``equilibria.applications.irl.mdp``): this
package imports nothing, so importing it costs no JAX."""
