"""The one set of helpers every test folder (and the campaign drivers) imports."""
