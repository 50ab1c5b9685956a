"""Synthetic CRM exports with a documented generative model and a known ground truth."""

from leadscore.synthetic.generator import GenerationResult, generate
from leadscore.synthetic.ground_truth import conversion_probability, oracle_report

__all__ = ["GenerationResult", "conversion_probability", "generate", "oracle_report"]
