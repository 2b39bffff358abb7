"""aiogram routers: one module per audience or task."""
