// Texts more than one Warehouse form uses, verbatim (WTForms' default, forms.py's INVALID_PASSWORD_MESSAGE).
export const REQUIRED = "This field is required.";
export const INVALID_PASSWORD = "The password is invalid. Try again.";
