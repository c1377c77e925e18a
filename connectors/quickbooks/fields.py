"""The fields of every QuickBooks Online entity intsync reads, written from the objects the
Accounting API reference documents (developer.intuit.com, API reference: Customer, Invoice,
Payment, SalesReceipt, Item, Account; minor version 75). Intuit's Python packages hold no typed
models to read them from."""

from __future__ import annotations

from connectors.common.fields import ANYTHING, BOOLEAN, INTEGER, NUMBER, TEXT, Shape
from connectors.quickbooks.entities import RESOURCES

READS = tuple(RESOURCES)  # what the connector reads, in its order

# ReferenceType: {"value": id, "name": shown name}
REF: dict[str, Shape] = {"value": TEXT, "name": TEXT, "type": TEXT}
META: Shape = {"CreateTime": TEXT, "LastUpdatedTime": TEXT, "LastModifiedByRef": REF}
ADDRESS: Shape = {
    "Id": TEXT,
    **{f"Line{n}": TEXT for n in range(1, 6)},
    "City": TEXT,
    "Country": TEXT,
    "CountryCode": TEXT,
    "County": TEXT,
    "CountrySubDivisionCode": TEXT,
    "PostalCode": TEXT,
    "PostalCodeSuffix": TEXT,
    "Lat": TEXT,
    "Long": TEXT,
    "Tag": TEXT,
    "Note": TEXT,
}
EMAIL: Shape = {"Address": TEXT}
PHONE: Shape = {"FreeFormNumber": TEXT}
CUSTOM_FIELDS: Shape = [{"DefinitionId": TEXT, "Name": TEXT, "Type": TEXT, "StringValue": TEXT}]
LINKED_TXN: Shape = [{"TxnId": TEXT, "TxnType": TEXT, "TxnLineId": TEXT}]
# what every entity carries; `status: "Deleted"` marks what change data capture says is gone
ENTITY: dict[str, Shape] = {
    "Id": TEXT,
    "SyncToken": TEXT,
    "domain": TEXT,
    "sparse": BOOLEAN,
    "status": TEXT,
    "MetaData": META,
}
MARKUP: Shape = {
    "PercentBased": BOOLEAN,
    "Value": NUMBER,
    "Percent": NUMBER,
    "PriceLevelRef": REF,
    "MarkUpIncomeAccountRef": REF,
}
SALES_ITEM: dict[str, Shape] = {
    "ItemRef": REF,
    "ClassRef": REF,
    "TaxCodeRef": REF,
    "ItemAccountRef": REF,
    "TaxClassificationRef": REF,
    "UnitPrice": NUMBER,
    "Qty": NUMBER,
    "ServiceDate": TEXT,
    "DiscountRate": NUMBER,
    "DiscountAmt": NUMBER,
    "TaxInclusiveAmt": NUMBER,
    "MarkupInfo": MARKUP,
}
LINE_HEAD: dict[str, Shape] = {
    "Id": TEXT,
    "LineNum": INTEGER,
    "Description": TEXT,
    "Amount": NUMBER,
    "DetailType": TEXT,
    "LinkedTxn": LINKED_TXN,
    "ProjectRef": REF,
}
# a sales line: one of its DetailType's details
SALES_LINE: dict[str, Shape] = {
    **LINE_HEAD,
    "SalesItemLineDetail": SALES_ITEM,
    "GroupLineDetail": {
        "GroupItemRef": REF,
        "Quantity": NUMBER,
        "Line": [{**LINE_HEAD, "SalesItemLineDetail": SALES_ITEM}],
    },
    "DescriptionLineDetail": {"ServiceDate": TEXT, "TaxCodeRef": REF},
    "DiscountLineDetail": {
        "DiscountRef": REF,
        "PercentBased": BOOLEAN,
        "DiscountPercent": NUMBER,
        "DiscountAccountRef": REF,
        "ClassRef": REF,
        "TaxCodeRef": REF,
    },
    "SubTotalLineDetail": {"ItemRef": REF},
}
TAX_DETAIL: Shape = {
    "TxnTaxCodeRef": REF,
    "TotalTax": NUMBER,
    "TaxLine": [
        {
            "Amount": NUMBER,
            "DetailType": TEXT,
            "TaxLineDetail": {
                "TaxRateRef": REF,
                "NetAmountTaxable": NUMBER,
                "PercentBased": BOOLEAN,
                "TaxPercent": NUMBER,
                "TaxInclusiveAmount": NUMBER,
                "OverrideDeltaAmount": NUMBER,
            },
        }
    ],
}
CREDIT_CARD_PAYMENT: Shape = {"CreditChargeInfo": ANYTHING, "CreditChargeResponse": ANYTHING}
# what invoices and sales receipts share
SALE: dict[str, Shape] = {
    **ENTITY,
    "DocNumber": TEXT,
    "TxnDate": TEXT,
    "ShipDate": TEXT,
    "TrackingNum": TEXT,
    "PrivateNote": TEXT,
    "CustomerMemo": {"value": TEXT},
    "CustomerRef": REF,
    "BillEmail": EMAIL,
    "BillEmailCc": EMAIL,
    "BillEmailBcc": EMAIL,
    "BillAddr": ADDRESS,
    "ShipAddr": ADDRESS,
    "ShipFromAddr": ADDRESS,
    "FreeFormAddress": BOOLEAN,
    "ClassRef": REF,
    "DepartmentRef": REF,
    "SalesTermRef": REF,
    "ShipMethodRef": REF,
    "CurrencyRef": REF,
    "ProjectRef": REF,
    "RecurDataRef": REF,
    "TaxExemptionRef": REF,
    "DepositToAccountRef": REF,
    "ExchangeRate": NUMBER,
    "Line": [SALES_LINE],
    "LinkedTxn": LINKED_TXN,
    "CustomField": CUSTOM_FIELDS,
    "TxnTaxDetail": TAX_DETAIL,
    "TotalAmt": NUMBER,
    "HomeTotalAmt": NUMBER,
    "Balance": NUMBER,
    "HomeBalance": NUMBER,
    "ApplyTaxAfterDiscount": BOOLEAN,
    "GlobalTaxCalculation": TEXT,
    "TransactionLocationType": TEXT,
    "PrintStatus": TEXT,
    "EmailStatus": TEXT,
    "DeliveryInfo": {"DeliveryType": TEXT, "DeliveryTime": TEXT},
    "TxnSource": TEXT,
}

CUSTOMER: Shape = {
    **ENTITY,
    "DisplayName": TEXT,
    "Title": TEXT,
    "GivenName": TEXT,
    "MiddleName": TEXT,
    "FamilyName": TEXT,
    "Suffix": TEXT,
    "FullyQualifiedName": TEXT,
    "CompanyName": TEXT,
    "PrintOnCheckName": TEXT,
    "Active": BOOLEAN,
    "PrimaryEmailAddr": EMAIL,
    "PrimaryPhone": PHONE,
    "AlternatePhone": PHONE,
    "Mobile": PHONE,
    "Fax": PHONE,
    "WebAddr": {"URI": TEXT},
    "BillAddr": ADDRESS,
    "ShipAddr": ADDRESS,
    "OtherAddr": ADDRESS,
    "Notes": TEXT,
    "Job": BOOLEAN,
    "IsProject": BOOLEAN,
    "BillWithParent": BOOLEAN,
    "ParentRef": REF,
    "Level": INTEGER,
    "Taxable": BOOLEAN,
    "TaxExemptionReasonId": TEXT,
    "DefaultTaxCodeRef": REF,
    "SalesTermRef": REF,
    "PaymentMethodRef": REF,
    "CustomerTypeRef": REF,
    "ARAccountRef": REF,
    "CurrencyRef": REF,
    "Balance": NUMBER,
    "BalanceWithJobs": NUMBER,
    "OpenBalanceDate": TEXT,
    "PreferredDeliveryMethod": TEXT,
    "ResaleNum": TEXT,
    "PrimaryTaxIdentifier": TEXT,
    "SecondaryTaxIdentifier": TEXT,
    "BusinessNumber": TEXT,
    "GSTIN": TEXT,
    "GSTRegistrationType": TEXT,
    "ClientEntityId": TEXT,
    "Source": TEXT,
    "V4IDPseudonym": TEXT,
}

INVOICE: Shape = {
    **SALE,
    "DueDate": TEXT,
    "Deposit": NUMBER,
    "AllowIPNPayment": BOOLEAN,
    "AllowOnlinePayment": BOOLEAN,
    "AllowOnlineCreditCardPayment": BOOLEAN,
    "AllowOnlineACHPayment": BOOLEAN,
    "InvoiceLink": TEXT,
}

SALES_RECEIPT: Shape = {
    **SALE,
    "PaymentMethodRef": REF,
    "PaymentRefNum": TEXT,
    "CreditCardPayment": CREDIT_CARD_PAYMENT,
}

PAYMENT: Shape = {
    **ENTITY,
    "TxnDate": TEXT,
    "CustomerRef": REF,
    "TotalAmt": NUMBER,
    "UnappliedAmt": NUMBER,
    "ProcessPayment": BOOLEAN,
    "PaymentRefNum": TEXT,
    "PaymentMethodRef": REF,
    "DepositToAccountRef": REF,
    "ARAccountRef": REF,
    "CurrencyRef": REF,
    "ProjectRef": REF,
    "TaxExemptionRef": REF,
    "ExchangeRate": NUMBER,
    "PrivateNote": TEXT,
    "Line": [{"Amount": NUMBER, "LinkedTxn": LINKED_TXN, "LineEx": ANYTHING}],
    "LinkedTxn": LINKED_TXN,
    "CreditCardPayment": CREDIT_CARD_PAYMENT,
    "TransactionLocationType": TEXT,
    "TxnSource": TEXT,
}

ITEM: Shape = {
    **ENTITY,
    "Name": TEXT,
    "Sku": TEXT,
    "Description": TEXT,
    "Active": BOOLEAN,
    "SubItem": BOOLEAN,
    "ParentRef": REF,
    "Level": INTEGER,
    "FullyQualifiedName": TEXT,
    "Type": TEXT,
    "Taxable": BOOLEAN,
    "SalesTaxIncluded": BOOLEAN,
    "UnitPrice": NUMBER,
    "RatePercent": NUMBER,
    "IncomeAccountRef": REF,
    "ExpenseAccountRef": REF,
    "AssetAccountRef": REF,
    "PurchaseDesc": TEXT,
    "PurchaseTaxIncluded": BOOLEAN,
    "PurchaseCost": NUMBER,
    "TrackQtyOnHand": BOOLEAN,
    "QtyOnHand": NUMBER,
    "InvStartDate": TEXT,
    "ReorderPoint": NUMBER,
    "SalesTaxCodeRef": REF,
    "PurchaseTaxCodeRef": REF,
    "ClassRef": REF,
    "PrefVendorRef": REF,
    "TaxClassificationRef": REF,
    "ItemCategoryType": TEXT,
    "AbatementRate": NUMBER,
    "ReverseChargeRate": NUMBER,
    "ServiceType": TEXT,
    "UQCDisplayText": TEXT,
    "UQCId": TEXT,
    "Source": TEXT,
}

ACCOUNT: Shape = {
    **ENTITY,
    "Name": TEXT,
    "AcctNum": TEXT,
    "SubAccount": BOOLEAN,
    "ParentRef": REF,
    "Description": TEXT,
    "FullyQualifiedName": TEXT,
    "Active": BOOLEAN,
    "Classification": TEXT,
    "AccountType": TEXT,
    "AccountSubType": TEXT,
    "AccountAlias": TEXT,
    "TxnLocationType": TEXT,
    "CurrentBalance": NUMBER,
    "CurrentBalanceWithSubAccounts": NUMBER,
    "CurrencyRef": REF,
    "TaxCodeRef": REF,
}

FIELDS: dict[str, Shape] = {
    "customers": CUSTOMER,
    "invoices": INVOICE,
    "payments": PAYMENT,
    "sales_receipts": SALES_RECEIPT,
    "items": ITEM,
    "accounts": ACCOUNT,
}
assert set(FIELDS) == set(RESOURCES)


def resource_fields(resource: str) -> Shape | None:
    """The fields of one entity's records (None for an entity the connector does not read)."""
    return FIELDS.get(resource)
