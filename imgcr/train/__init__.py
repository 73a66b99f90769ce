"""Training imgcr's own networks: recipes, on-the-fly data, the loop, model cards, reports."""

from imgcr.train.recipes import RECIPES, Recipe, get_recipe

__all__ = ["RECIPES", "Recipe", "get_recipe"]
