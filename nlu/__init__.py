"""Understanding: brand, product, fault, place, phone, time and intent from Chinese free text."""
