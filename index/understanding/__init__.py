"""Understanding text: queries, amounts, places, sectors, periods, facts, normalisation."""
